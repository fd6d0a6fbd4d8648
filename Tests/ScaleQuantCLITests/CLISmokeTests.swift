import Testing
@testable import ScaleQuantCLI
@Test func cliPlaceholder() { #expect(ScaleQuantCommand.configuration.commandName == "scalequant") }
