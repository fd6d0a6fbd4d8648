import Testing
@testable import ScaleQuant

/// The format-name parser, the preset parameters, the encoding overflow conventions, and stochastic rounding.
@Suite struct CatalogAndEncodingTests {
    /// (preset, precision p, max finite, least positive) from the format specifications.
    static let specs: [(String, Int, Double, Double)] = [
        ("binary64", 53, .greatestFiniteMagnitude, .leastNonzeroMagnitude),
        ("binary32", 24, Double(Float.greatestFiniteMagnitude), Double(Float.leastNonzeroMagnitude)),
        ("tf32", 11, 0x1.ffcp127, 0x1p-136),
        ("bfloat16", 8, 0x1.fep127, 0x1p-133),
        ("binary16", 11, 65504, 0x1p-24),
        ("e5m2", 3, 57344, 0x1p-16), ("e5m2fnuz", 3, 57344, 0x1p-17),
        ("e4m3", 4, 448, 0x1p-9), ("e4m3fnuz", 4, 240, 0x1p-10),
        ("e3m2", 3, 28, 0x1p-4), ("e2m3", 4, 7.5, 0x1p-3), ("e2m1", 2, 6, 0.5),
    ]

    @Test func presetParametersMatchTheSpecifications() {
        #expect(FormatCatalog.presets.map(\.name) == Self.specs.map(\.0))
        for (name, p, mx, least) in Self.specs {
            let f = preset(name)
            #expect(f.precision == p && f.maxFinite == mx && f.smallestPositive == least, "\(name)")
            #expect(f.round(.infinity) == mx && f.nextUp(mx) == .infinity, "\(name) saturates at a finite max")
        }
    }

    @Test func everyPresetNameAndAliasParses() throws {
        for p in FormatCatalog.presets {
            for n in [p.name] + p.aliases {
                for spelled in [n, n.uppercased(), " \(n)\t"] {
                    let g = try FormatCatalog.grid(named: spelled)
                    #expect((g as? FloatFormat) == p.format, "'\(spelled)'")
                }
            }
        }
    }

    @Test func generalNamesParse() throws {
        let e5m2fn = try #require(try FormatCatalog.grid(named: "e5m2fn") as? FloatFormat)
        #expect(e5m2fn.specials == .finiteNaN && e5m2fn.maxFinite == 98304)
        let e3m2finite = try #require(try FormatCatalog.grid(named: "E3M2finite") as? FloatFormat)
        #expect(e3m2finite.specials == .none && e3m2finite.maxFinite == 28)
        let e8m23 = try #require(try FormatCatalog.grid(named: "e8m23") as? FloatFormat)
        #expect(e8m23.maxFinite == preset("binary32").maxFinite && e8m23.precision == 24)
        let p11 = try #require(try FormatCatalog.grid(named: "p=11") as? FloatFormat)
        #expect(p11.isIdealized && p11.precision == 11 && p11.maxFinite == .infinity)
        let int8 = try #require(try FormatCatalog.grid(named: "INT8") as? IntegerGrid)
        #expect(int8.maxCode == 127 && int8.step == 1)
        let int4 = try #require(try FormatCatalog.grid(named: "int4@0.125") as? IntegerGrid)
        #expect(int4.maxCode == 7 && int4.step == 0.125 && int4.maxFinite == 0.875)
    }

    @Test(arguments: ["e4m", "int", "p=0", "p=99", "e12m3", "hello", "", "  ", "e4m3x", "em3", "e4m3fnx", "p=",
                      "int8@", "int8@0", "int8@-1", "int1", "int99", "e0m3", "e4m-1", "e4m53", "int8@abc",
                      "int53@1e300"])
    func garbageNamesAreRejected(name: String) {
        #expect(throws: FormatError.self) { _ = try FormatCatalog.grid(named: name) }
    }

    @Test func ieeeOverflowGoesToInfinity() throws {
        let fp16 = preset("binary16")
        #expect(try fp16.encode(70000) == EncodedValue(code: 0x7C00, overflowed: true))
        #expect(try fp16.encode(-70000) == EncodedValue(code: 0xFC00, overflowed: true))
        #expect(try fp16.encode(65520) == EncodedValue(code: 0x7C00, overflowed: true))  // tie: 65536 is even
        #expect(try fp16.encode(65519.99) == EncodedValue(code: 0x7BFF, overflowed: false))
        #expect(try fp16.encode(.infinity) == EncodedValue(code: 0x7C00, overflowed: false))
        #expect(try fp16.encode(-0.0).code == 0x8000)
        #expect(fp16.decode(try fp16.encode(.nan).code).isNaN)
        let e5m2 = preset("e5m2")
        #expect(try e5m2.encode(61440) == EncodedValue(code: 0x7C, overflowed: true))
        #expect(try e5m2.encode(61439) == EncodedValue(code: 0x7B, overflowed: false))
    }

    @Test func finiteNaNFormatsOverflowToNaN() throws {
        let e4m3 = preset("e4m3")
        #expect(try e4m3.encode(500) == EncodedValue(code: 0x7F, overflowed: true))
        let minus500 = try e4m3.encode(-500)
        #expect(e4m3.decode(minus500.code).isNaN && minus500.overflowed)
        // 464 is halfway between 448 (0x7E, mantissa 110) and 480, the slot of the NaN code 0x7F (mantissa 111).
        // OCP OFP8 rounds to nearest even *before* the overflow check, so 464 → 448, no overflow (ml_dtypes
        // agrees); anything above 464 overflows to NaN. Quantization saturates either way.
        #expect(try e4m3.encode(464) == EncodedValue(code: 0x7E, overflowed: false))
        #expect(try e4m3.encode(464.0.nextUp) == EncodedValue(code: 0x7F, overflowed: true))
        #expect(e4m3.round(464) == 448 && e4m3.round(464.0.nextUp) == 448)
        // FNUZ: the only NaN is 0x80; 248 ties 240 (odd) with 256 (even), so it overflows.
        let fnuz = preset("e4m3fnuz")
        #expect(try fnuz.encode(248) == EncodedValue(code: 0x80, overflowed: true))
        #expect(try fnuz.encode(247.99) == EncodedValue(code: 0x7F, overflowed: false))
        #expect(try fnuz.encode(-0.0).code == 0)
        #expect(try fnuz.encode(-1e-30).code == 0)
        #expect(try preset("e5m2fnuz").encode(61440) == EncodedValue(code: 0x80, overflowed: true))
    }

    @Test func formatsWithoutSpecialsSaturate() throws {
        let e2m1 = preset("e2m1")
        #expect(try e2m1.encode(7) == EncodedValue(code: 0x7, overflowed: true))
        #expect(try e2m1.encode(-7) == EncodedValue(code: 0xF, overflowed: true))
        #expect(try e2m1.encode(6.9) == EncodedValue(code: 0x7, overflowed: false))
        #expect(try e2m1.encode(.infinity) == EncodedValue(code: 0x7, overflowed: true))
        #expect(throws: FormatError.self) { try e2m1.encode(.nan) }
        #expect(throws: FormatError.self) { try FloatFormat.idealized(precision: 8).encode(1) }
    }

    /// Formats reachable only through `eXmY…` names: every code decodes, the finite codes round-trip, the
    /// claimed maximum and value count match the codes, and NaN encodes to a NaN code (or is refused).
    @Test(arguments: ["e5m2fn", "e3m4fnuz", "e3m1finite", "e4m0fn", "e2m0fn", "e5m0", "e4m0fnuz", "e6m1"])
    func derivedFormatsAreSelfConsistent(name: String) throws {
        let f = try #require(try FormatCatalog.grid(named: name) as? FloatFormat)
        let codes = try #require(f.allCodes())
        let values = codes.map { f.decode($0) }
        let positive = Set(values.filter { $0.isFinite && $0 > 0 })
        #expect(f.maxFinite == positive.max() && f.maxFinite > 0, "\(name): max \(f.maxFinite)")
        #expect(f.positiveValueCount == positive.count, "\(name): count")
        for (c, v) in zip(codes, values) where !v.isNaN && !(v == 0 && c != 0 && f.specials == .unsignedZeroNaN) {
            #expect(try f.encode(v).code == c, "\(name): code \(c) value \(v)")
        }
        // NaN is refused exactly when no code decodes to NaN (e3m1finite; e5m0, whose all-ones exponent is ±inf only).
        if values.contains(where: \.isNaN) {
            let nan = try f.encode(.nan)
            #expect(f.decode(nan.code).isNaN, "\(name): NaN encodes to \(nan.code)")
        } else {
            #expect(throws: FormatError.self, "\(name) has no NaN code") { try f.encode(.nan) }
        }
        #expect(f.round(.infinity) == f.maxFinite)
    }

    @Test(arguments: ["e4m3", "binary16", "e2m1", "int8@0.1", "p=3", "bfloat16"])
    func stochasticRoundingIsUnbiasedAndStaysOnNeighbours(name: String) throws {
        let g = try FormatCatalog.grid(named: name)
        var rng = SeededGenerator(seed: 2026)
        var xs = (0..<6).map { _ in rng.symmetric(Swift.min(g.maxFinite, 100)) }
        xs += [0.3, -0.7, 1.1].map { $0 * Swift.min(g.maxFinite, 4) }
        var offGrid = 0
        for x in xs where g.round(x) != x {
            offGrid += 1
            let lo = g.nextDown(x), hi = g.nextUp(x)
            let p = (x - lo) / (hi - lo), n = 20_000
            var sum = 0.0, ups = 0
            for _ in 0..<n {
                let r = g.stochasticRound(x, using: &rng)
                #expect(r == lo || r == hi, "\(name): \(r) is not a neighbour of \(x)")
                sum += r; if r == hi { ups += 1 }
            }
            let sigma = (hi - lo) * (p * (1 - p) / Double(n)).squareRoot()
            #expect((sum / Double(n) - x).magnitude <= 6 * sigma + 1e-12 * x.magnitude, "\(name): mean at \(x)")
            #expect(ups > 0 && ups < n || p < 1e-3 || p > 1 - 1e-3)
        }
        #expect(offGrid >= 6, "\(name): only \(offGrid) of \(xs.count) probes are off the grid")
        let v = g.round(0.75)
        for _ in 0..<100 { #expect(g.stochasticRound(v, using: &rng) == v) }
        if g.maxFinite.isFinite { #expect(g.stochasticRound(2 * g.maxFinite, using: &rng) == g.maxFinite) }
    }
}
