import Foundation

/// A fixture a test depends on is missing, empty or malformed. The message names the file, so a test that loses
/// its data fails loudly instead of passing without checking anything.
struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// The test bundle's `Fixtures` resources (`Tests/ScaleQuantTests/Fixtures`, copied by SwiftPM). Every accessor
/// throws a ``FixtureError`` naming the path it looked for when the fixture is not there.
enum TestFixtures {
    /// `Fixtures/<subdirectory>` in the test bundle.
    static func directory(_ subdirectory: String) throws -> String {
        guard let root = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            throw FixtureError("fixture directory 'Fixtures' missing from the test bundle \(Bundle.module.bundlePath)")
        }
        let dir = root.appendingPathComponent(subdirectory).path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw FixtureError("fixture directory missing: \(dir)")
        }
        return dir
    }

    /// The path of the fixture `Fixtures/<subdirectory>/<name>`, which must exist.
    static func path(_ subdirectory: String, _ name: String) throws -> String {
        let path = try directory(subdirectory) + "/" + name
        guard FileManager.default.isReadableFile(atPath: path) else { throw FixtureError("fixture missing: \(path)") }
        return path
    }

    /// The bytes of a fixture, which must exist and not be empty.
    static func bytes(_ subdirectory: String, _ name: String) throws -> [UInt8] {
        let path = try path(subdirectory, name)
        guard let data = FileManager.default.contents(atPath: path) else { throw FixtureError("cannot read fixture \(path)") }
        guard !data.isEmpty else { throw FixtureError("fixture is empty: \(path)") }
        return [UInt8](data)
    }

    /// The file names in `Fixtures/<subdirectory>` ending in `suffix`, sorted.
    static func names(in subdirectory: String, suffix: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory(subdirectory)).filter { $0.hasSuffix(suffix) }.sorted()
    }
}
