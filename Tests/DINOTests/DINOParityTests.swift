import DINO
import DINOTestSupport
import Foundation
import Testing

/// The loss, the head and two optimiser steps against PyTorch (`Tests/Fixtures/make_dino_parity.py`).
@Suite struct DINOParityTests {
    let data: Fixture
    init() throws { data = try Fixture("dino_parity") }

    @Test(arguments: [("a", 16), ("b", 32)])
    func lossOverStepsWithTheCentreCarried(_ name: String, _ width: Int) throws {
        let crops = Int(try data["loss.\(name).crops"].scalars[0])
        var configuration = LossConfiguration(outputDimension: width, cropCount: crops)
        (configuration.warmupTeacherTemperature, configuration.teacherTemperature, configuration.warmupTeacherTemperatureEpochs) = (0.04, 0.07, 2)
        var loss = try DINOLoss(configuration, epochs: 4)
        for step in 0..<3 {
            let prefix = "loss.\(name).step\(step)."
            let teacher = try data[prefix + "teacher"]
            let result = loss(studentOutput: try data[prefix + "student"], teacherOutput: teacher, epoch: Int(try data[prefix + "epoch"].scalars[0]))
            loss.updateCenter(teacherOutput: teacher)
            assertClose(Tensor([result.loss]), try data[prefix + "loss"], absolute: 1e-5, relative: 1e-5, "\(prefix)loss")
            assertClose(result.studentGradient, try data[prefix + "grad"], absolute: 1e-6, relative: 1e-4, "\(prefix)grad")
            assertClose(loss.center.value, try data[prefix + "center"], absolute: 1e-6, relative: 1e-5, "\(prefix)center")
        }
    }

    func referenceHead() throws -> DINOHead {
        var rng = SeededGenerator(seed: 0)
        var head = DINOHead(HeadConfiguration(inputDimension: 16, outputDimension: 24, hiddenDimension: 32, bottleneckDimension: 8), using: &rng)
        try head.load(data.tensors.filter { $0.key.hasPrefix("head.param.") }.reduce(into: [:]) { $0[String($1.key.dropFirst("head.param.".count))] = $1.value })
        return head
    }

    @Test func headForwardAndBackward() throws {
        let head = try referenceHead()
        let (output, saved) = head.forward(try data["head.input"])
        assertClose(output, try data["head.output"], absolute: 1e-5, relative: 1e-5, "head output")
        let (input, parameters) = head.backward(try data["head.probe"], saved: saved)
        assertClose(input, try data["head.grad.input"], absolute: 1e-5, relative: 1e-4, "∂/∂input")
        for (name, gradient) in parameters.namedParameters where name != "last_layer.weight_g" {
            assertClose(gradient, try data["head.grad." + name], absolute: 1e-5, relative: 1e-4, "∂/∂\(name)")
        }
    }

    @Test func twoAdamWStepsWithClippingAndTheFrozenLastLayer() throws {
        var head = try referenceHead()
        var optimizer = AdamW()
        let input = try data["head.input"]
        for step in 0..<2 {
            let settings = try data["adamw.step\(step).settings"].scalars
            let (_, saved) = head.forward(input)
            var gradients = head.backward(try data["adamw.step\(step).probe"], saved: saved).parameters
            clipGradientsPerParameter(&gradients, maximum: 3)
            let frozenLastLayer: Set<String> = Int(settings[2]) < 1 ? ["last_layer.weight_g", "last_layer.weight_v"] : []
            optimizer.step(&head, gradients: gradients, learningRate: settings[0], weightDecay: settings[1],
                           skipping: head.frozenParameterNames.union(frozenLastLayer))
            for (name, value) in head.namedParameters {
                assertClose(value, try data["adamw.step\(step).param." + name], absolute: 2e-6, relative: 1e-5, "step \(step): \(name)")
            }
        }
        #expect(optimizer.steps["mlp.0.weight"] == 2)
        #expect(optimizer.steps["last_layer.weight_v"] == 1)  // frozen in epoch 0
        #expect(optimizer.steps["last_layer.weight_g"] == nil)  // norm_last_layer: never trained
    }
}
