import Foundation
import Testing
import ScaleQuant
@testable import ScaleQuantCLI

// MARK: - Helpers

/// Parses `arguments` as a full command line and returns the subcommand, which must be of type `C`.
func parse<C>(_ arguments: [String], as _: C.Type = C.self) throws -> C {
    let command = try ScaleQuantCommand.parseAsRoot(arguments)
    return try #require(command as? C, "\(arguments) parsed to \(type(of: command))")
}

/// Parses JSON text produced by a command.
func jsonObject(_ text: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
}

/// `formats --json`, indexed by name.
func formatsByName() throws -> [String: [String: Any]] {
    let text = try parse(["formats", "--json"], as: FormatsCommand.self).render()
    let array = try #require(try jsonObject(text) as? [[String: Any]])
    var byName: [String: [String: Any]] = [:]
    for row in array { byName[try #require(row["name"] as? String)] = row }
    return byName
}

/// Runs `round` with these arguments (and optional stdin lines) and returns the output.
func roundOutput(_ arguments: [String], stdin: [String] = []) throws -> String {
    let command = try parse(["round"] + arguments, as: RoundCommand.self)
    var lines = stdin[...]
    return try command.render(stdin: { lines.popFirst() })
}

/// The message of the `CLIError` thrown by `body`, or nil.
func cliErrorMessage(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch let error as CLIError {
        return error.message
    } catch {
        return "unexpected \(type(of: error)): \(error)"
    }
}

// MARK: - formats

@Suite struct FormatsCommandTests {
    @Test func jsonHasEveryKeyInOrder() throws {
        let text = try parse(["formats", "--json"], as: FormatsCommand.self).render()
        let keys = ["name", "aliases", "precision", "emin", "emax", "max_finite", "min_subnormal", "min_normal",
                    "finite_values", "specials"]
        let firstLine = try #require(text.split(separator: "\n").dropFirst().first)
        var position = firstLine.startIndex
        for key in keys {
            let range = try #require(firstLine[position...].range(of: "\"\(key)\":"), "key \(key) missing or out of order")
            position = range.upperBound
        }
        let rows = try #require(try jsonObject(text) as? [[String: Any]])
        #expect(rows.count == FormatCatalog.presets.count + FormatsCommand.exampleNames.count)
        for row in rows { #expect(Set(row.keys) == Set(keys)) }
    }

    @Test func e4m3() throws {
        let row = try #require(try formatsByName()["e4m3"])
        #expect(row["max_finite"] as? Double == 448)
        #expect(row["precision"] as? Int == 4)
        #expect(row["emin"] as? Int == -6)
        #expect(row["emax"] as? Int == 8)
        #expect(row["min_subnormal"] as? Double == 0.001953125)
        #expect(row["min_normal"] as? Double == 0.015625)
        #expect(row["finite_values"] as? Int == 253)
        #expect(row["specials"] as? String == "fn")
        #expect(row["aliases"] as? [String] == ["e4m3fn", "fp8_e4m3", "float8_e4m3fn"])
    }

    @Test func e2m1() throws {
        let row = try #require(try formatsByName()["e2m1"])
        #expect(row["max_finite"] as? Double == 6)
        #expect(row["finite_values"] as? Int == 15)
        #expect(row["precision"] as? Int == 2)
        #expect(row["specials"] as? String == "none")
    }

    @Test func fp16() throws {
        let row = try #require(try formatsByName()["binary16"])
        #expect(row["min_subnormal"] as? Double == 5.960464477539063e-08)
        #expect(row["min_normal"] as? Double == 6.103515625e-05)
        #expect(row["max_finite"] as? Double == 65504)
        #expect(row["precision"] as? Int == 11)
        #expect(row["finite_values"] as? Int == 63487)
    }

    @Test func parametricExamples() throws {
        let rows = try formatsByName()
        let p4 = try #require(rows["p=4"])
        #expect(p4["precision"] as? Int == 4)
        #expect(p4["max_finite"] is NSNull)
        #expect(p4["finite_values"] is NSNull)
        #expect(p4["emin"] is NSNull)
        let int4 = try #require(rows["int4"])
        #expect(int4["max_finite"] as? Double == 7)
        #expect(int4["finite_values"] as? Int == 15)
        #expect(int4["precision"] is NSNull)
        #expect(try #require(rows["int8"])["finite_values"] as? Int == 255)
        #expect(try #require(rows["p=11"])["precision"] as? Int == 11)
    }

    /// binary64's largest finite value is 1.7976931348623157e308; the library's `FloatFormat.init` currently
    /// computes `2^1024 − ulp`, which overflows to +inf (and `positiveValueCount` would trap). The CLI must not
    /// crash on it; the value itself is the library's to fix.
    @Test func binary64DoesNotCrash() throws {
        let row = try #require(try formatsByName()["binary64"])
        #expect(row["precision"] as? Int == 53)
        #expect(row["max_finite"] as? Double == Double.greatestFiniteMagnitude)
    }

    @Test func tableIsAligned() throws {
        let text = try parse(["formats"], as: FormatsCommand.self).render()
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2 + FormatCatalog.presets.count + FormatsCommand.exampleNames.count)
        #expect(lines[0].hasPrefix("name"))
        for header in FormatRow.headers { #expect(lines[0].contains(header)) }
        // Right-aligned numeric columns: every row ends its "max finite" cell at the same column as the header.
        let headerEnd = try #require(lines[0].range(of: "max finite")).upperBound
        let column = lines[0].distance(from: lines[0].startIndex, to: headerEnd)
        for line in lines.dropFirst(2) {
            #expect(line.prefix(column).last != " ", "misaligned: \(line)")
            #expect(line.dropFirst(column).first == " ", "misaligned: \(line)")
        }
        let e4m3 = try #require(lines.first { $0.hasPrefix("e4m3 ") })
        #expect(e4m3.contains(" 448 "))
        #expect(e4m3.contains(" 253 "))
        let p4 = try #require(lines.first { $0.hasPrefix("p=4 ") })
        #expect(p4.contains("∞"))
        for line in lines { #expect(!line.hasSuffix(" ")) }
    }
}

// MARK: - round

@Suite struct RoundCommandTests {
    @Test func e4m3Values() throws {
        #expect(try roundOutput(["--format", "e4m3", "1.3", "1000", "-0.07"]) == "1.25\n448\n-0.0703125")
    }

    @Test func int4Values() throws {
        #expect(try roundOutput(["--format", "int4", "2.5", "3.5", "9"]) == "2\n4\n7")
    }

    @Test func json() throws {
        let text = try roundOutput(["--format", "e4m3", "--json", "1.3", "1000", "-0.07"])
        #expect(text == "[1.25, 448, -0.0703125]")
        #expect(try jsonObject(text) as? [Double] == [1.25, 448, -0.0703125])
    }

    @Test func verbose() throws {
        #expect(try roundOutput(["--format", "e4m3", "--verbose", "1.3", "-0.07"]) == "1.3 -> 1.25\n-0.07 -> -0.0703125")
    }

    @Test(arguments: [
        ["--format", "e4m3", "--", "-1.3"],
        ["--format", "e4m3", "-1.3"],
        ["-1.3", "--format", "e4m3"],
        ["--format", "e4m3", "-1.3", "--", "-1.3"],
    ])
    func negativeArguments(_ arguments: [String]) throws {
        let out = try roundOutput(arguments)
        #expect(!out.isEmpty)
        #expect(out.split(separator: "\n").allSatisfy { $0 == "-1.25" }, "\(arguments) -> \(out)")
    }

    @Test func stdinSkipsBlankAndComments() throws {
        let out = try roundOutput(["--format", "e4m3"], stdin: ["# header", "", "  1.3  ", "\t", "-0.07", "#x", "1000"])
        #expect(out == "1.25\n-0.0703125\n448")
    }

    @Test func argumentsTakePrecedenceOverStdin() throws {
        #expect(try roundOutput(["--format", "e4m3", "2"], stdin: ["1.3"]) == "2")
    }

    @Test func unknownFormat() {
        let message = cliErrorMessage { _ = try roundOutput(["--format", "e9m9x", "1"]) }
        #expect(message?.contains("unknown format 'e9m9x'") == true, "\(message ?? "no error")")
        #expect(message?.contains("\n") == false)
    }

    @Test func invalidFormatParameters() {
        let message = cliErrorMessage { _ = try roundOutput(["--format", "int99", "1"]) }
        #expect(message?.contains("intN needs") == true, "\(message ?? "no error")")
    }

    @Test func badNumber() {
        let message = cliErrorMessage { _ = try roundOutput(["--format", "e4m3", "1.3", "12abc"]) }
        #expect(message?.contains("'12abc'") == true, "\(message ?? "no error")")
        #expect(message?.contains("not a number") == true)
    }

    @Test func badNumberOnStdin() {
        let message = cliErrorMessage { _ = try roundOutput(["--format", "e4m3"], stdin: ["1", "one"]) }
        #expect(message?.contains("'one'") == true, "\(message ?? "no error")")
    }

    @Test(arguments: ["nan", "NaN", "-nan"])
    func nanIsRejected(_ token: String) {
        let message = cliErrorMessage { _ = try roundOutput(["--format", "e4m3", token]) }
        #expect(message?.contains("NaN is not a number to round") == true, "\(message ?? "no error")")
        #expect(message?.contains(token) == true)
    }

    @Test(arguments: ["inf", "-inf", "-infinity", "1e400", "-1e400"])
    func infinityIsRejected(_ token: String) {
        let message = cliErrorMessage { _ = try roundOutput(["--format", "e4m3", token]) }
        #expect(message?.contains("infinite") == true, "\(message ?? "no error")")
        #expect(message?.contains(token) == true)
    }

    @Test func emptyInput() {
        let message = cliErrorMessage { _ = try roundOutput(["--format", "e4m3"], stdin: ["", "# only a comment"]) }
        #expect(message?.contains("no values to round") == true, "\(message ?? "no error")")
    }

    @Test func errorIsPrintedOnceOnOneLine() {
        let error = CLIError("line one\nline two")
        #expect(error.description == "line one line two")
        #expect(ScaleQuantCommand.fullMessage(for: CLIError("bad thing")) == "Error: bad thing")
        #expect(ScaleQuantCommand.exitCode(for: CLIError("x")).rawValue != 0)
    }
}

// MARK: - demo and helpers

@Suite struct DemoAndSupportTests {
    @Test func demo() throws {
        // Speed is the benchmark's business (machines are shared); here only the content is checked.
        let text = try DemoCommand.render()
        #expect(text.contains("ScaleQuant demo"))
        #expect(text.contains("e4m3"))
        #expect(text.contains("int4"))
        // The rounding table: 1000 saturates to 448 in e4m3 and to 7 in int4.
        let row = try #require(text.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("1000 ") })
        #expect(row.split(separator: " ").map(String.init) == ["1000", "448", "1000", "7"])
        _ = try parse(["demo"], as: DemoCommand.self)
    }

    @Test func numberFormatting() {
        #expect(formatNumber(448) == "448")
        #expect(formatNumber(-0.0703125) == "-0.0703125")
        #expect(formatNumber(5.960464477539063e-08) == "5.960464477539063e-08")
        #expect(formatNumber(0.1) == "0.1")
        #expect(Double(formatNumber(0.1 + 0.2)) == 0.1 + 0.2)
    }

    @Test func jsonEncoding() throws {
        let value = JSONValue.object([
            ("b", .string("q\"\\\n\u{1}")),
            ("a", .array([.number(.infinity), .nullable(nil as Int?), .bool(true), .unsigned(UInt64.max), .integer(-3)])),
        ])
        let text = value.rendered()
        #expect(text == #"{"b": "q\"\\\n\u0001", "a": [null, null, true, 18446744073709551615, -3]}"#)
        #expect(try jsonObject(text) is [String: Any])
    }

    @Test func parseGridMapsFormatError() {
        #expect(throws: CLIError.self) { _ = try parseGrid("nonsense") }
        #expect((try? parseGrid("E4M3"))?.description == "e4m3")
    }
}

// MARK: - the executable

/// The `scalequant` executable that `swift test` (and `swift build --build-tests`) links next to the test bundle.
enum BuiltExecutable {
    /// A class of this test module, to find the test bundle.
    final class Marker {}

    /// Where it is looked for, in order: the directory of the test bundle (the build products directory, wherever
    /// `--scratch-path` put it; the bundle is a `.xctest` directory on macOS, the test executable on Linux), the
    /// running executable's directory, then `.build/debug` of this package.
    static let candidates: [String] = {
        var directories: [URL] = []
        for url in [Bundle(for: Marker.self).bundleURL, Bundle.main.bundleURL, Bundle.main.executableURL,
                    CommandLine.arguments.first.map { URL(fileURLWithPath: $0) }].compactMap({ $0 }) {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
            let directory = url.pathExtension == "xctest" || (exists && !isDirectory.boolValue)
                ? url.deletingLastPathComponent() : url
            directories.append(directory.standardizedFileURL.resolvingSymlinksInPath())
        }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        directories.append(packageRoot.appendingPathComponent(".build/debug").resolvingSymlinksInPath())
        var seen = Set<String>()
        return directories.map { $0.appendingPathComponent("scalequant").path }.filter { seen.insert($0).inserted }
    }()

    /// The first candidate that is an executable file.
    static let path: String? = candidates.first { FileManager.default.isExecutableFile(atPath: $0) }

    struct Missing: Error, CustomStringConvertible {
        var description: String {
            "the scalequant executable was not found (swift test builds it; run swift build); tried "
                + BuiltExecutable.candidates.joined(separator: ", ")
        }
    }

    /// The executable's URL, or an error listing every path tried.
    static func url() throws -> URL {
        guard let path else { throw Missing() }
        return URL(fileURLWithPath: path)
    }
}

/// Runs the built executable; returns (exit status, stdout, stderr).
func runExecutable(_ arguments: [String], stdin: String = "",
                   environment: [String: String] = [:]) throws -> (Int32, String, String) {
    let process = Process()
    process.executableURL = try BuiltExecutable.url()
    process.arguments = arguments
    if !environment.isEmpty {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    let input = Pipe(), output = Pipe(), error = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = error
    try process.run()
    input.fileHandleForWriting.write(Data(stdin.utf8))
    try input.fileHandleForWriting.close()
    let out = output.fileHandleForReading.readDataToEndOfFile()
    let err = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
}

/// The real process: exit status, stdout and stderr. A missing executable fails these tests (naming the paths tried).
@Suite struct ExecutableTests {
    @Test func roundFromArgumentsAndStdin() throws {
        let (status, out, err) = try runExecutable(["round", "--format", "e4m3", "--", "-1.3", "1000"])
        #expect(status == 0, "\(err)")
        #expect(out == "-1.25\n448\n")
        let (status2, out2, _) = try runExecutable(["round", "--format", "int4"], stdin: "# c\n2.5\n\n3.5\n9\n")
        #expect(status2 == 0)
        #expect(out2 == "2\n4\n7\n")
    }

    @Test func errorsAreOneLineOnStderr() throws {
        for arguments in [["round", "--format", "nope", "1"], ["round", "--format", "e4m3", "nan"],
                          ["round", "--format", "e4m3", "x1"]] {
            let (status, out, err) = try runExecutable(arguments)
            #expect(status != 0)
            #expect(out.isEmpty)
            #expect(err.hasPrefix("Error: "), "\(err)")
            #expect(err.components(separatedBy: "Error:").count == 2, "\(err)")
            #expect(err.trimmingCharacters(in: .newlines).contains("\n") == false, "\(err)")
        }
        let (status, _, err) = try runExecutable(["round", "--format", "e4m3"], stdin: "\n# nothing\n")
        #expect(status != 0)
        #expect(err.contains("no values to round"))
    }

    @Test("SCALEQUANT_THREADS: a positive integer is used, anything else is refused in one line")
    func threadCountEnvironment() throws {
        for good in ["1", "3"] {
            let (status, out, err) = try runExecutable(["round", "--format", "e4m3", "1.3"],
                                                       environment: ["SCALEQUANT_THREADS": good])
            #expect(status == 0 && out == "1.25\n", "\(good): \(err)")
        }
        for bad in ["0", "-2", "two", ""] {
            let (status, out, err) = try runExecutable(["round", "--format", "e4m3", "1.3"],
                                                       environment: ["SCALEQUANT_THREADS": bad])
            #expect(status != 0 && out.isEmpty, "\(bad)")
            #expect(err.hasPrefix("Error: SCALEQUANT_THREADS is '\(bad)'"), "\(bad): \(err)")
            #expect(!err.trimmingCharacters(in: .newlines).contains("\n"), "\(err)")
        }
    }
}
