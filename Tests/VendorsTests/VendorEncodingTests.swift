/// VendorEncodingTests.swift: query and form components, percent-encoded where needed.
import Testing
import Vendors

/// Query and form components: what needs escaping is escaped, the rest is kept as it is.
@Suite struct ComponentEncodingTests {
    @Test func componentsAreEscapedOnlyWhereNeeded() {
        #expect(VendorEncoding.component("Ada-1.2_~x") == "Ada-1.2_~x")
        #expect(VendorEncoding.component("a b&c=d/e+f?") == "a%20b%26c%3Dd%2Fe%2Bf%3F")
        #expect(VendorEncoding.component("") == "")
        #expect(VendorEncoding.query([("q", "ada lovelace"), ("skip", nil), ("id", "1001")]) == "q=ada%20lovelace&id=1001")
    }
}
