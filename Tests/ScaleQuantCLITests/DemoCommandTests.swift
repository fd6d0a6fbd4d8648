import Foundation
import Testing
import ScaleQuant
@testable import ScaleQuantCLI

@Suite struct DemoCommandTests {
    @Test func resourcesFoundFromSourcePathOrEnvironment() {
        let dir = DemoCommand.resourcesDirectory(environment: [:])
        #expect(FileManager.default.fileExists(atPath: dir + "/models/digits_mlp_64_32_10.safetensors"))
        #expect(DemoCommand.resourcesDirectory(environment: ["SCALEQUANT_RESOURCES": "/x"]) == "/x")
    }

    @Test func reducedDemoRuns() throws {
        var config = DemoCommand.Configuration()
        config.methods = ["rtn", "exact"]
        config.formats = ["e4m3"]
        config.maxSweeps = 2
        let report = try DemoCommand.report(config)
        #expect(report.floatAccuracy == 438.0 / 450.0)
        #expect(report.entries.map(\.method) == ["rtn", "exact"])
        // exact minimizes the l2 path-metric (one hidden layer).
        #expect(report.entries[1].l2PathMetric <= report.entries[0].l2PathMetric)
        let text = try DemoCommand.render(report)
        #expect(text.contains("float accuracy 0.9733"))
        #expect(text.contains("rel_l2_path_metric") && text.contains("certified_bound_r1"))
    }

    @Test func missingResourcesIsAClearError() {
        #expect(throws: CLIError.self) { try DemoCommand.report(.init(), resources: "/nonexistent") }
    }
}
