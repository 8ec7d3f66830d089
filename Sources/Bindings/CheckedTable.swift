/// CheckedTable.swift: a call's arguments, or a table within them, after the declaration
/// checked them (`LuaForm.check`): keys known, types right, required fields present. The
/// accessors do not fail: whatever they could refuse was refused before.
import LuaHost

/// Values by name that their declaration has checked.
public struct CheckedTable: Sendable {
    public let table: LuaTable

    public init(_ table: LuaTable) { self.table = table }

    public subscript(_ name: String) -> LuaValue { table[name] }

    public func has(_ name: String) -> Bool { table[name] != .nil }

    public func string(_ name: String) -> String? { table[name].text }

    /// A required string (declared so: present once checked).
    public func text(_ name: String) -> String { table[name].text ?? "" }

    public func int(_ name: String) -> Int? { table[name].integerValue.flatMap { Int(exactly: $0) } }

    public func bool(_ name: String) -> Bool? {
        if case .boolean(let flag) = table[name] { return flag }
        return nil
    }

    public func strings(_ name: String) -> [String]? {
        guard case .table(let list) = table[name] else { return nil }
        return list.sequence.compactMap(\.text)
    }

    /// A nested shaped table.
    public func fields(_ name: String) -> CheckedTable? {
        guard case .table(let nested) = table[name] else { return nil }
        return CheckedTable(nested)
    }

    /// A list of shaped tables.
    public func list(_ name: String) -> [CheckedTable]? {
        guard case .table(let list) = table[name] else { return nil }
        return list.sequence.compactMap { if case .table(let item) = $0 { CheckedTable(item) } else { nil } }
    }
}

extension LuaValue {
    /// The table, when this is one (else an empty table).
    var tableValue: LuaTable {
        if case .table(let table) = self { return table }
        return LuaTable()
    }
}
