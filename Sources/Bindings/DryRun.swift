/// DryRun.swift: what a planned (not sent) change answers a script.
import LuaHost

/// What a planned change answers.
enum DryRun {
    /// `{dry_run = true}`, printing as "(dry run)" and concatenating as it.
    static let result = LuaTable(["dry_run": true], metatable: metatable.name)

    static let metatable = LuaMetatable("roster.dry_run", metamethods: [
        LuaFunction("__tostring", "Reads \"(dry run)\".", parameters: [LuaParameter("result", .any, doc: "a dry-run result")]) { _ in
            "(dry run)"
        },
        LuaFunction("__concat", "Concatenates as \"(dry run)\".", parameters: [
            LuaParameter("a", .any, doc: "left operand"), LuaParameter("b", .any, doc: "right operand"),
        ]) { call in
            let left = call.isDryRun(1) ? "(dry run)" : (try call.value(1)).concatenationText
            let right = call.isDryRun(2) ? "(dry run)" : (try call.value(2)).concatenationText
            return .string(LuaString(left + right))
        },
    ])
}

extension LuaTable {
    init(_ fields: KeyValuePairs<String, LuaValue>, metatable: String) {
        self.init(fields)
        self.metatable = metatable
    }
}

extension LuaCall {
    /// Whether argument `index` is a dry-run result.
    fileprivate func isDryRun(_ index: Int32) -> Bool {
        guard case .table(let table)? = try? value(index) else { return false }
        return table["dry_run"] == true
    }
}

extension LuaValue {
    /// How `..` shows a string or number.
    fileprivate var concatenationText: String {
        switch self {
        case .string(let string): string.text
        case .integer(let value): String(value)
        case .number(let value): String(value)
        default: typeName
        }
    }
}
