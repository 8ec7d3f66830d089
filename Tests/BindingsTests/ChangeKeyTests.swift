/// ChangeKeyTests.swift: the idempotency key and the arguments' text a journal keeps. Their
/// form is fixed: a resume finds an earlier attempt's changes by the key's exact text.
@testable import Bindings
import LuaHost
import Testing
import Vendors

@Suite struct ChangeKeyTests {
    static func operation(_ vendor: [VendorOperation], _ name: String) throws -> VendorOperation {
        try #require(vendor.first { $0.name == name })
    }

    @Test func keysNameTheIdentifyingArgumentsInTheirFixedForm() throws {
        let create = try Self.operation(EncoreModule.operations, "create_user")
        let fields = LuaTable(["user_name": "o'neil \"jr\"\\x\nz", "first_name": "B", "password": "Passw0rd!x"])
        #expect(create.changeKey(CheckedTable(LuaTable(["fields": .table(fields)])))
                == #"encore.create_user {fields.user_name="o'neil \"jr\"\\x\nz"}"#)
        let missing = create.changeKey(CheckedTable(LuaTable(["fields": .table(LuaTable())])))
        #expect(missing == "encore.create_user {fields.user_name=nil}")
        // The same text the general form gives.
        let identity = JSONValue.object(["fields.user_name": .string("o'neil \"jr\"\\x\nz")]).compactText
        #expect(identity == #"{fields.user_name="o'neil \"jr\"\\x\nz"}"#)
    }

    @Test func compactTextKeepsItsFixedForm() {
        let value = JSONValue.object(["b": .array([.int(Int.min), .int(-7), .int(0), .int(Int.max), .double(1.5), .bool(false), .null]),
                                      "a": .string("東京 \"q\"\\\n"), "c": .object([:]), "d": .array([])])
        #expect(value.compactText == #"{a="東京 \"q\"\\\n",b=[-9223372036854775808,-7,0,9223372036854775807,1.5,false,nil],c={},d=[]}"#)
    }

    @Test func argumentsTextIsTheCanonicalObjectTheLastOfEqualNamesWins() {
        let arguments = [VendorArgument("b", .int(2)), VendorArgument("a", .string("x/y")), VendorArgument("b", .int(3)),
                         VendorArgument("c", .object(["z": .null, "y": .array([.bool(true)])]))]
        let byDictionary = JSONValue.object(Dictionary(arguments.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })).canonicalText
        #expect(VendorCallRecord.canonicalText(arguments) == byDictionary)
        #expect(VendorCallRecord.canonicalText(arguments) == #"{"a":"x/y","b":3,"c":{"y":[true],"z":null}}"#)
        #expect(VendorCallRecord.canonicalText([]) == "{}")
    }
}
