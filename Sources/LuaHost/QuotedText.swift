/// QuotedText.swift: text a message did not write (a CSV's column name, a name inside a
/// package, a script's argument) quoted in it. A message is one line, and such text may hold
/// line breaks, tabs or invisible characters, or run long.

/// How a message quotes text it did not write.
public enum QuotedText {
    /// `text` with line breaks, tabs and other invisible characters escaped (`\n`,
    /// `\u{FEFF}`), cut to `limit` characters (the last one `…`).
    public static func shown(_ text: String, limit: Int = 60) -> String {
        var shown = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": shown += "\\n"
            case "\r": shown += "\\r"
            case "\t": shown += "\\t"
            case _ where scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format
                || scalar.properties.generalCategory == .lineSeparator || scalar.properties.generalCategory == .paragraphSeparator:
                shown += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            default: shown.unicodeScalars.append(scalar)
            }
        }
        return shown.count <= limit ? shown : shown.prefix(limit - 1) + "…"
    }
}
