/**
 * How items translate between JavaScript values and DynamoDB's attribute values: one set of rules for the document
 * client and for the state table's requests sent with a cached client (item-requests.ts).
 */
import { NumberValue, type TranslateConfig } from '@aws-sdk/lib-dynamodb';

/**
 * How the document client translates items. Every attribute the runtime writes is a string or a number, so:
 *
 * - `removeUndefinedValues`: an optional attribute left undefined in a record is simply not written (absent), as
 *   the items always were; without it the SDK throws.
 * - `convertClassInstanceToMap: false`: a class instance (a Date, a Map) in an item is a mistake, refused rather
 *   than stored as a map of its own fields. (NumberValue is understood before this check.)
 * - `convertEmptyValues: false`: an empty string stays an empty string, never a NULL.
 * - Numbers: `allowImpreciseNumbers` stays off: a plain JS number beyond the safe integers throws instead of being
 *   written (the records' numbers, timestamps and counts, never are). A dict value that is a number is written as a
 *   NumberValue with the text the dict chose (dicts/items.ts: only numbers DynamoDB holds exactly), and so is an
 *   amount to add. Read back (`wrapNumbers`), a number within the safe integers is a plain number, and one beyond
 *   them a NumberValue of the stored text: the default would make it a BigInt (or throw), and an item read and
 *   written again (a batch's UnprocessedItems, re-sent) must write the same number.
 */
export const DOCUMENT_TRANSLATION: TranslateConfig = {
  marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false, convertEmptyValues: false, allowImpreciseNumbers: false },
  unmarshallOptions: { wrapNumbers: readNumber },
};

function readNumber(text: string): number | NumberValue {
  const value = Number(text);
  return Number.isSafeInteger(value) || !Number.isInteger(value) ? value : NumberValue.from(text);
}
