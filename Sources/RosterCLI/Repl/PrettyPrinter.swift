/// PrettyPrinter.swift: how the REPL shows values — nested tables indented, keys sorted,
/// cycles marked, long lists cut with a count. Written in Lua because it runs inside the
/// session's sandbox, where the values are; loaded before any user code so that the
/// library functions it uses are the originals.
enum PrettyPrinter {
    // `source`, the printer itself, is PrettyPrinter.source.lua, embedded at build time.
}
