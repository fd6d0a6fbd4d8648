import Foundation
import Testing
@testable import ScaleQuant

/// Collects progress reports from any thread.
final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [QuantizationProgress] = []
    func append(_ p: QuantizationProgress) { lock.lock(); storage.append(p); lock.unlock() }
    var reports: [QuantizationProgress] { lock.lock(); defer { lock.unlock() }; return storage }
}

@Suite("Progress reports of long runs")
struct QuantizationProgressTests {
    /// Checks the reports of one cd descent against its result: every sweep is reported (each sweep's first step
    /// is never throttled), steps stay in range, and from the second sweep on the objective is the metric after
    /// the previous sweep.
    func checkDescentReports(_ reports: [QuantizationProgress], _ r: GraphQuantizationResult, _ label: String) {
        let cd = reports.filter { $0.stage == "cd" }
        #expect(Set(cd.map(\.sweep)) == Set(1...r.sweeps), "\(label): sweeps \(cd.map(\.sweep)) of \(r.sweeps)")
        for p in cd {
            #expect(p.step >= 0 && p.step < p.steps, "\(label): step \(p.step) of \(p.steps)")
            #expect(p.maxSweeps == 4 && !p.label.isEmpty)
            if p.sweep == 1 {
                #expect(p.objective == nil && p.sweepSeconds == nil, "\(label)")
            } else {
                let expected = r.history[p.sweep - 1]
                #expect(p.objective.map { abs($0 - expected) <= 1e-12 * max(expected, 1) } == true,
                        "\(label): sweep \(p.sweep) reports \(String(describing: p.objective)), history \(expected)")
                #expect(p.sweepSeconds.map { $0 >= 0 } == true && p.sweepSecondsLeft != nil, "\(label)")
            }
        }
    }

    @Test("cd reports every sweep with its node or layer, and the callback does not change the answer")
    func descentReports() throws {
        let cases: [(String, GraphNetwork)] = [("tinyResNet", try tinyResNet(seed: 71)),
                                               ("perceptron", GraphNetwork.randomPerceptron(widths: [6, 8, 5, 3], seed: 72))]
        for (name, g) in cases {
            let spec = try GraphGridSpec(format: "e3m2")
            var options = GraphCoordinateDescentOptions()
            options.maxSweeps = 4
            options.relativeTolerance = 0
            let plain = try GraphQuantizer.quantize(g, method: .coordinateDescent, grids: spec, options: options)
            let log = ProgressLog()
            options.progress = { log.append($0) }
            let tracked = try GraphQuantizer.quantize(g, method: .coordinateDescent, grids: spec, options: options)
            #expect(plain.network.nodes.map(\.weight) == tracked.network.nodes.map(\.weight), "\(name)")
            #expect(plain.network.nodes.map(\.bias) == tracked.network.nodes.map(\.bias), "\(name)")
            #expect(plain.history == tracked.history, "\(name)")
            // The graph solver may descend from two grid choices; the perceptron here has one.
            if name == "perceptron" { checkDescentReports(log.reports, tracked, name) }
            #expect(!log.reports.isEmpty, "\(name): no report")
            for p in log.reports { #expect(!p.line.isEmpty && p.line.hasPrefix("cd sweep"), "\(p.line)") }
        }
    }

    @Test("data reports its cd start and its own sweeps (graphs and perceptrons)")
    func dataReports() throws {
        for (name, g) in [("tinyResNet", try tinyResNet(seed: 73)),
                          ("perceptron", GraphNetwork.randomPerceptron(widths: [6, 8, 5, 3], seed: 74))] {
            let count = 16
            let x = uniformSamples(count * g.inputSize, radius: 1, seed: 75).map { abs($0) }
            var options = GraphDataAwareOptions()
            options.maxSweeps = 2
            options.maxEvents = 400
            options.pathMetric.maxSweeps = 2
            let log = ProgressLog()
            options.pathMetric.progress = { log.append($0) }
            _ = try GraphDataAwareQuantizer.rescalingSearch(g, grids: try GraphGridSpec(format: "int4"),
                                                            calibration: x, count: count, options: options)
            let stages = Set(log.reports.map(\.stage))
            #expect(stages.contains("cd") && stages.contains("data"), "\(name): \(stages)")
            if name == "tinyResNet" { #expect(stages.contains("data rounding"), "\(name): \(stages)") }
            for p in log.reports where p.stage != "cd" {
                #expect(p.step >= 0 && p.step < p.steps && p.sweep >= 1 && p.sweep <= p.maxSweeps, "\(name): \(p)")
            }
        }
    }

    @Test("the progress line and its durations")
    func line() {
        #expect(QuantizationProgress.duration(7.4) == "7 s")
        #expect(QuantizationProgress.duration(185) == "3 min 05 s")
        #expect(QuantizationProgress.duration(7380) == "2 h 03 min")
        var p = QuantizationProgress(stage: "cd", sweep: 3, maxSweeps: 50, step: 11, steps: 21,
                                     label: "node 12 of 21 (conv7)", objective: 0.57743, elapsed: 70,
                                     sweepSeconds: 31, sweepSecondsLeft: 14)
        #expect(p.line == "cd sweep 3 (max 50) · node 12 of 21 (conv7) · 14 s left in sweep (last 31 s) · l2 5.7743e-01")
        p.stage = "data"
        p.objective = nil
        p.sweepSeconds = nil
        p.sweepSecondsLeft = nil
        #expect(p.line == "data sweep 3 (max 50) · node 12 of 21 (conv7)")
    }

    @Test("the tracker's first-sweep estimate weighs the steps by their costs, and throttles")
    func trackerEstimate() throws {
        let log = ProgressLog()
        var t = ProgressTracker({ log.append($0) }, stage: "cd", maxSweeps: 2, costs: [1, 3], interval: 0)
        t.beginSweep(1, objective: 1)
        t.step(0, label: "a")
        Thread.sleep(forTimeInterval: 0.05)
        t.step(1, label: "b")  // a quarter of the cost done: about three times the time spent is left
        let r = log.reports
        #expect(r.count == 2 && r[0].sweepSecondsLeft == nil)
        let left = try #require(r[1].sweepSecondsLeft), spent = r[1].elapsed
        #expect(abs(left - 3 * spent) <= 0.2 * spent + 0.01, "left \(left), spent \(spent)")
        var slow = ProgressTracker({ log.append($0) }, stage: "cd", maxSweeps: 2, costs: [1, 1, 1], interval: 3600)
        slow.beginSweep(1, objective: 1)
        for i in 0..<3 { slow.step(i, label: "x") }
        #expect(log.reports.count == 3, "only the first step of a sweep passes a long interval")
    }
}
