import Testing
@testable import ScaleQuant

@Suite("The method catalog says what each entry point does")
struct QuantizationMethodCatalogTests {
    @Test("names and codes are unique, and lookups by name (any case) and code agree")
    func uniqueness() {
        let all = QuantizationMethodCatalog.all
        #expect(Set(all.map(\.name)).count == all.count)
        #expect(Set(all.map(\.code)).count == all.count)
        for e in all {
            #expect(QuantizationMethodCatalog.named(e.name.uppercased()) == e)
            #expect(QuantizationMethodCatalog.coded(e.code) == e)
            #expect((e.method?.rawValue ?? e.calibrated?.rawValue).map { e.perChannel ? $0 + "-channel" : $0 } == e.name)
            #expect((e.method == nil) != (e.calibrated == nil), "\(e.name): data-free or calibrated")
            let bc = QuantizationMethodCatalog.named(e.name + "+BC")
            #expect((bc != nil) == (e.method != nil), "\(e.name): +bc exactly for the data-free methods")
            if let bc {
                #expect(bc.name == e.name + "+bc" && bc.biasCorrection && bc.needsCalibration && !e.needsCalibration)
                #expect(QuantizationMethodCatalog.coded(e.code + QuantizationMethodCatalog.biasCorrectionCode) == bc)
            }
        }
        #expect(QuantizationMethodCatalog.named("awq") == nil)
        #expect(QuantizationMethodCatalog.named("cd+bc+bc") == nil)
        #expect(QuantizationMethodCatalog.coded(99) == nil)
    }

    @Test("applicability: a method the catalog lists for perceptrons or other graphs runs there, the others refuse")
    func applicability() throws {
        let perceptron = GraphNetwork.randomPerceptron(widths: [4, 6, 3], seed: 5)
        let graph = try tinyCNN(seed: 3)
        var rng = SeededGenerator(seed: 9)
        let calibPerceptron = rng.gaussians(8 * 4), calibGraph = rng.gaussians(4 * graph.inputSize)
        let spec = try GraphGridSpec(format: "e4m3")
        for e in QuantizationMethodCatalog.all {
            let perceptronRan = (try? GraphQuantizer.quantize(perceptron, method: e.name, grids: spec,
                                                                  calibration: (calibPerceptron, 8),
                                                                  options: .init())) != nil
            #expect(perceptronRan == e.perceptrons, "\(e.name) on a perceptron")
            let graphRan = (try? GraphQuantizer.quantize(graph, method: e.name, grids: spec,
                                                             calibration: (calibGraph, 4), options: .init())) != nil
            #expect(graphRan == e.graphs, "\(e.name) on a graph")
        }
    }
}
