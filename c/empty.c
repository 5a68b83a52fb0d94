/* Keeps a room that has no sources yet a valid library. */
typedef int trader_empty_translation_unit;
