import Dispatch

/// Where a long quantization run is: the stage, the sweep, the step within the sweep and an estimate of the time
/// left in the sweep, for a progress line (``GraphCoordinateDescentOptions/progress``).
///
/// How many sweeps a descent takes is not known in advance (it stops when a sweep no longer improves), so the
/// estimate covers the current sweep; ``sweepSeconds`` (the previous sweep's duration) and ``maxSweeps`` bound
/// the rest.
public struct QuantizationProgress: Sendable, Equatable {
    /// The stage: `cd` (descent on the ℓ² path-metric, also the start of `data`), `data` (descent on the
    /// calibration error) or `data rounding` (its rounding refinement).
    public var stage: String
    /// The sweep being run (from 1) and the cap on sweeps.
    public var sweep: Int, maxSweeps: Int
    /// Steps of the sweep done so far, of ``steps`` (nodes, layers, neurons or channel groups).
    public var step: Int, steps: Int
    /// What is being worked on: a node's name, `layer 2`, `layer 1 neuron 37`, ….
    public var label: String
    /// The stage's objective after the previous sweep (ℓ² path-metric for `cd`, squared calibration error for
    /// `data`); `nil` before the first sweep ends.
    public var objective: Double?
    /// Seconds since the stage started.
    public var elapsed: Double
    /// The previous sweep's duration in seconds (`nil` during the first sweep).
    public var sweepSeconds: Double?
    /// Estimated seconds left in the current sweep: the previous sweep's duration minus the time spent in this
    /// one, or in the first sweep the time spent scaled by the cost of the steps left (`nil` before the first
    /// step ends).
    public var sweepSecondsLeft: Double?

    /// Creates a progress report.
    public init(stage: String, sweep: Int, maxSweeps: Int, step: Int, steps: Int, label: String,
                objective: Double?, elapsed: Double, sweepSeconds: Double?, sweepSecondsLeft: Double?) {
        self.stage = stage
        self.sweep = sweep
        self.maxSweeps = maxSweeps
        self.step = step
        self.steps = steps
        self.label = label
        self.objective = objective
        self.elapsed = elapsed
        self.sweepSeconds = sweepSeconds
        self.sweepSecondsLeft = sweepSecondsLeft
    }
}

extension QuantizationProgress {
    /// One line for a terminal, e.g. `cd sweep 3 (max 50) · node conv7 (12 of 21) · 14 s left in sweep (last
    /// 31 s) · l2 5.7743e-01` (`l2`: the ℓ² path-metric after the previous sweep; `error`: the squared calibration
    /// error).
    public var line: String {
        var s = "\(stage) sweep \(sweep) (max \(maxSweeps)) · \(label)"
        if let left = sweepSecondsLeft { s += " · \(Self.duration(left)) left in sweep" }
        if let last = sweepSeconds { s += " (last \(Self.duration(last)))" }
        if let objective { s += (stage == "cd" ? " · l2 " : " · error ") + NumberText.scientific(objective, 4) }
        return s
    }

    /// Seconds as `7 s`, `3 min 05 s` or `2 h 03 min`.
    static func duration(_ seconds: Double) -> String {
        let t = Int(seconds.rounded())
        if t < 60 { return "\(t) s" }
        if t < 3600 { return "\(t / 60) min \(t % 60 < 10 ? "0" : "")\(t % 60) s" }
        let m = (t % 3600) / 60
        return "\(t / 3600) h \(m < 10 ? "0" : "")\(m) min"
    }
}

/// Turns the steps of a descent into ``QuantizationProgress`` reports, at most one per `interval` seconds (plus one
/// at the start of every sweep). Each step has a cost (e.g. its parameter edges), so that the first sweep's
/// estimate weighs a large layer more than a small one. Driven by one thread; a no-op without a callback.
struct ProgressTracker {
    let report: (@Sendable (QuantizationProgress) -> Void)?
    let stage: String, maxSweeps: Int
    /// Cumulative costs: `prefix[i]` is the cost of steps 0..<i.
    private let prefix: [Double]
    private let interval: Double
    private let stageStart = DispatchTime.now().uptimeNanoseconds
    private var sweepStart = DispatchTime.now().uptimeNanoseconds
    private var lastReport: UInt64 = 0
    private var sweep = 0
    private var previousSweep: Double?
    private var objective: Double?

    /// A tracker for a stage whose sweeps have one step per entry of `costs` (each > 0 ideally; zeros are fine).
    init(_ report: (@Sendable (QuantizationProgress) -> Void)?, stage: String, maxSweeps: Int, costs: [Double],
         interval: Double = 0.25) {
        self.report = report
        self.stage = stage
        self.maxSweeps = maxSweeps
        var p = [0.0]
        for c in costs { p.append(p.last! + max(c, 0)) }
        prefix = p
        self.interval = interval
    }

    /// Starts sweep `number`; `objective` is the value before it (reported from the second sweep on; `nil`: none
    /// to report).
    mutating func beginSweep(_ number: Int, objective value: Double?) {
        let now = DispatchTime.now().uptimeNanoseconds
        if sweep > 0 { previousSweep = Double(now - sweepStart) / 1e9; objective = value }
        sweep = number
        sweepStart = now
        lastReport = 0
    }

    /// Reports that `done` steps of the sweep are finished and step `done` (named `label`) is next; throttled.
    mutating func step(_ done: Int, label: @autoclosure () -> String) {
        guard let report else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        guard lastReport == 0 || Double(now - lastReport) / 1e9 >= interval else { return }
        lastReport = now
        let inSweep = Double(now - sweepStart) / 1e9
        let steps = prefix.count - 1, d = min(max(done, 0), steps)
        var left: Double?
        if let previousSweep {
            left = max(previousSweep - inSweep, 0)
        } else if d > 0, prefix[d] > 0, let total = prefix.last {
            left = inSweep * (total - prefix[d]) / prefix[d]
        }
        report(QuantizationProgress(stage: stage, sweep: sweep, maxSweeps: maxSweeps, step: d, steps: steps,
                                    label: label(), objective: objective,
                                    elapsed: Double(now - stageStart) / 1e9, sweepSeconds: previousSweep,
                                    sweepSecondsLeft: left))
    }
}
