/**
 * The package's root folder, for files that ship beside the code (package.json, otel-config/,
 * build/*.wasm): one level above src/ in the sources, two above build/js/ once compiled.
 */
export const PACKAGE_ROOT: URL = new URL(import.meta.url.includes("/build/js/") ? "../../" : "../", import.meta.url);
