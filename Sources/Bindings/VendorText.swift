/// VendorText.swift: the check that text bound for a vendor is valid UTF-8 without NUL.
import Foundation
import LuaHost

/// Text bound for a vendor must be valid UTF-8 without NUL bytes: anything else would be
/// repaired into U+FFFD or stored as a NUL in a vendor record, silently.
enum VendorText {
    /// Raises an argument error naming the argument (and field or item) that holds bad text.
    static func check(_ call: LuaCall, _ parameters: [LuaParameter]) throws {
        guard call.count > 0 else { return }
        for index in 1...call.count where !call.isNil(index) {
            try check(try call.value(index), argument: index, parameters)
        }
    }

    /// Raises an argument error if `value`, argument `index` of a call to a function with
    /// `parameters`, holds bad text.
    static func check(_ value: LuaValue, argument index: Int32, _ parameters: [LuaParameter]) throws(LuaError) {
        guard let problem = problem(in: value) else { return }
        let name = Int(index) <= parameters.count ? " (\(parameters[Int(index) - 1].name))" : ""
        throw LuaError("argument #\(index)\(name) \(problem)")
    }

    /// What is wrong with the first bad string in `value`, with its path: `field email holds
    /// a NUL byte`, `item 2 is not valid UTF-8`.
    static func problem(in value: LuaValue) -> String? {
        switch value {
        case .string(let string): return problem(in: string)
        case .table(let table):
            for (offset, element) in table.sequence.enumerated() {
                if let problem = problem(in: element) { return "item \(offset + 1) " + problem }
            }
            for (key, element) in table.fields {
                if case .string(let name) = key, let problem = problem(in: name) { return "has a key that " + problem }
                if let problem = problem(in: element) { return "field \(key.text ?? key.typeName) " + problem }
            }
            return nil
        default: return nil
        }
    }

    private static func problem(in string: LuaString) -> String? {
        // Most text is ASCII, valid as it is: only other text is decoded to be validated.
        var ascii = true
        for byte in string.bytes {
            if byte == 0 { return "holds a NUL byte" }
            if byte >= 0x80 { ascii = false }
        }
        if !ascii, String(validating: string.bytes, as: UTF8.self) == nil { return "is not valid UTF-8" }
        return nil
    }
}
