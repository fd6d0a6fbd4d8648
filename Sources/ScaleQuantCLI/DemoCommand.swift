import ArgumentParser
import ScaleQuant

/// `scalequant demo`: the main job on a bundled default.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "Run the bundled demonstration.")
    func run() throws {
        print("ScaleQuant demo")
    }
}

struct FormatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "formats", abstract: "List the number formats.")
    func run() throws {
        for p in FormatCatalog.presets { print(p.name, p.format.precision, p.format.maxFinite) }
    }
}

struct RoundCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "round", abstract: "Round numbers to a format.")
    func run() throws {}
}
