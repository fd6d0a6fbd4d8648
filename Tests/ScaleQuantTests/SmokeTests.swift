import Testing
@testable import ScaleQuant
@Test func placeholder() { #expect(FormatCatalog.preset(named: "fp16")?.precision == 11) }
