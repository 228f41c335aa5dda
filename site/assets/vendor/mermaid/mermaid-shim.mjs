// Re-export the vendored global Mermaid build for nbconvert's loader.
export default globalThis.mermaid;
