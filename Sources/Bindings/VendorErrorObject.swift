/// VendorErrorObject.swift: a vendor failure as a Lua error object.
import LuaHost
import Vendors

/// A vendor failure as the script sees it: a table with `vendor`, `operation`, `status`,
/// `code`, `message` and `retryable`, whose `tostring` is one readable line. `pcall`
/// catches it like any error.
struct VendorErrorObject: LuaErrorConvertible {
    var error: VendorError

    var luaErrorValue: LuaValue {
        var table = LuaTable([
            "vendor": .string(LuaString(error.vendor.rawValue)),
            "operation": .string(LuaString(error.operation)),
            "status": error.status.map { .integer(Int64($0)) } ?? .nil,
            "code": error.code.map { .string(LuaString($0)) } ?? .nil,
            "message": .string(LuaString(error.message)),
            "retryable": .boolean(error.retryable),
            // It may have reached the vendor: check before sending it again.
            "outcome_unknown": .boolean(error.outcomeUnknown),
        ])
        table.metatable = Self.metatable.name
        return .table(table)
    }

    static let metatable = LuaMetatable("roster.vendor_error", metamethods: [
        LuaFunction("__tostring", "One line: `encore.get_user: HTTP 404 (code 128): User not found`.", parameters: [
            LuaParameter("error", .table, doc: "a vendor error object"),
        ]) { call in
            let text = { (key: String) throws -> String? in try call.field(1, key).text }
            let status = try call.field(1, "status").integerValue.map { Int(clamping: $0) }
            return .string(LuaString(VendorError.line(vendor: try text("vendor") ?? "?", operation: try text("operation") ?? "?",
                                                      status: status, code: try text("code"), message: try text("message") ?? "")))
        },
    ])
}
