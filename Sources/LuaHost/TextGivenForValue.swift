/// TextGivenForValue.swift: what a refused argument adds when a number or a boolean came as
/// text that reads as one. A `--each` cell and an `--arg` are always text, so a script that
/// passes one on as it came (`get_user(row.id)`) meets this first.
enum TextGivenForValue {
    /// ` ("103" is text: tonumber(...) makes a number of it; ...)`, ` ("true" is text: ...)`,
    /// or "" when `text` does not read as a value of `wanted`.
    static func hint(_ text: String, wanted: [LuaType]) -> String {
        guard !wanted.contains(.string), !wanted.contains(.any), text.utf8.count <= 64 else { return "" }
        let trimmed = String(decoding: text.utf8.drop { $0 == 0x20 }.reversed().drop { $0 == 0x20 }.reversed(), as: UTF8.self)
        let conversion: String
        // Swift's Double also reads "nan" and "inf", which Lua's tonumber does not: a number has a digit.
        let reads = wanted.contains(.number) ? Double(trimmed) != nil && trimmed.contains(where: \.isNumber)
            : wanted.contains(.integer) && Int64(trimmed) != nil
        if reads {
            conversion = "tonumber(...) makes a number of it"
        } else if wanted.contains(.boolean), trimmed == "true" || trimmed == "false" {
            conversion = "(... == \"true\") makes a boolean of it"
        } else {
            return ""
        }
        return " (\"\(trimmed)\" is text: \(conversion); a CSV cell and an --arg are always text)"
    }
}
