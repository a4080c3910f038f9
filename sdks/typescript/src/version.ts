/** What Register's sdk_version says; test/unit checks it against package.json. */
export const VERSION = "0.1.0";
export const SDK_VERSION = `hewer-typescript/${VERSION}`;
