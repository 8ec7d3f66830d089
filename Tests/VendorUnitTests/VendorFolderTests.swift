/// VendorFolderTests.swift: a vendor is one unit — outside each vendor's own folders
/// (`Sources/<Module>/<Vendor>/`), only the registry names its types.
import Engine
import Foundation
import Testing

@Suite struct VendorFolderTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources")

    @Test func onlyTheRegistryNamesAVendorsTypesOutsideItsFolders() throws {
        let folders = VendorRegistry.standard.vendors.map { $0.rawValue.prefix(1).uppercased() + $0.rawValue.dropFirst() }
        #expect(folders == ["Activeconnect", "Encore", "Guardant", "Active911", "Allthenticate"])
        let names = folders.joined(separator: "|")
        let vendors = VendorRegistry.standard.vendors.map(\.rawValue).joined(separator: "|")
        let typeName = try Regex("\\b(\(names))[A-Z][A-Za-z0-9]*\\b|\\bVendor\\.(\(vendors))\\b")
        var offenders: [String] = []
        let files = FileManager.default.enumerator(at: Self.sources, includingPropertiesForKeys: nil)!
        for case let file as URL in files where file.pathExtension == "swift" {
            let parts = file.path.dropFirst(Self.sources.path.count + 1).split(separator: "/")
            if parts.count > 2, folders.contains(String(parts[1])) { continue } // the vendor's own folder
            if file.lastPathComponent == "VendorRegistry.swift" { continue }
            let text = try String(contentsOf: file, encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let code = line.trimmingCharacters(in: .whitespaces)
                guard !code.hasPrefix("//"), line.contains(typeName) else { continue }
                offenders.append("\(parts.joined(separator: "/")):\(number + 1): \(code)")
            }
        }
        #expect(offenders.isEmpty, "\(offenders.joined(separator: "\n"))")
    }
}
