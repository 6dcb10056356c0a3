/**
 * The container image of a Batch-placed definition, from its `image` option (lib/options/image.ts):
 *  - none: the public Node.js image (no image build, no Docker);
 *  - a private Amazon ECR repository URI: pulled with the job's execution role, which gets pull access to it;
 *  - another registry's reference (ECR Public, Docker Hub, ...): pulled anonymously;
 *  - a folder with a Dockerfile: built by the CDK at deploy (which needs Docker on the deploying machine, as the
 *    synth says) for the job's processor architecture, and pushed to the CDK's asset repository.
 *
 * GPU definitions need an image: the ECS GPU AMI of their hosts brings the NVIDIA driver, and the container must
 * bring the CUDA libraries its code links against (libcudart, cuBLAS, cuDNN, ...); the Node.js image has none, and
 * no official image has both Node.js and CUDA (docs/aws-behaviour.md, "Batch container images and GPUs").
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { Annotations, Stack } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type { Construct } from 'constructs';
import type { BatchPlaced } from '../lib/manifest.js';
import { imageSource } from '../lib/options/image.js';
import { SynthError } from './errors.js';
import type { CpuArchitecture } from './native-assets.js';

/** A Dockerfile recipe for GPU definitions, named in the synth error of a GPU definition without an image. */
export const GPU_IMAGE_HINT =
  'a folder whose Dockerfile starts FROM nvidia/cuda:12.6.3-cudnn-runtime-ubuntu24.04 and installs Node.js 22 (docs/deploy.md, "GPU images"), ' +
  'or an image built so and pushed to Amazon ECR';

/** Fails the synth when a GPU definition has no image, saying what the image must hold. */
export function checkGpuImage(scope: Construct, definition: BatchPlaced): void {
  if (definition.compute.platform !== 'ec2' || definition.options.image) return;
  throw new SynthError(
    'asks for a GPU, so it needs the "image" option: the GPU hosts (the ECS GPU AMI) bring the NVIDIA driver, and the image must bring the CUDA ' +
      `libraries its code uses (the public Node.js image has none). Use ${GPU_IMAGE_HINT}; "image": "public.ecr.aws/docker/library/node:22-slim" ` +
      'runs on the GPU host without CUDA libraries.',
    scope,
    definition.name,
  );
}

/** Whether the definition's image comes from a private ECR repository (its own, or the CDK's for a built folder). */
export function pullsFromEcr(definition: BatchPlaced): boolean {
  const image = definition.options.image;
  return image !== null && imageSource(image).type !== 'registry';
}

/** The definition's image for a container on `architecture`, or undefined for the public Node.js image. */
export function containerImage(scope: Construct, definition: BatchPlaced, architecture: CpuArchitecture, appDir: string): ecs.ContainerImage | undefined {
  const image = definition.options.image;
  if (!image) return undefined;
  const source = imageSource(image);
  switch (source.type) {
    case 'registry':
      return ecs.ContainerImage.fromRegistry(source.reference);
    case 'ecr': {
      const partition = Stack.of(scope).partition;
      const repository = ecr.Repository.fromRepositoryAttributes(scope, `Repository-${definition.name}`, {
        repositoryArn: `arn:${partition}:ecr:${source.region}:${source.account}:repository/${source.repository}`,
        repositoryName: source.repository,
      });
      return ecs.ContainerImage.fromEcrRepository(repository, source.tagOrDigest);
    }
    case 'folder': {
      const folder = path.resolve(appDir, source.path);
      if (!existsSync(folder) || !statSync(folder).isDirectory()) {
        throw new SynthError(
          `option "image" is "${image}", but ${folder} is not a folder (a folder is relative to the app's folder, ${appDir}).`,
          scope,
          definition.name,
        );
      }
      if (!existsSync(path.join(folder, 'Dockerfile'))) {
        throw new SynthError(`option "image" is "${image}", but ${folder} has no Dockerfile.`, scope, definition.name);
      }
      Annotations.of(scope).addInfo(
        `definition "${definition.name}": its image is built from ${source.path} by the CDK at deploy (cdk deploy), which needs Docker (or the ` +
          'builder named by CDK_DOCKER) on the deploying machine; synth does not.',
      );
      return ecs.ContainerImage.fromAsset(folder, { platform: architecture === 'arm64' ? Platform.LINUX_ARM64 : Platform.LINUX_AMD64 });
    }
  }
}
