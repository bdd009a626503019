@testable import DINO
import DINOTestSupport
import Foundation
import Testing

/// Checkpoints are verified on load: each tensor against its CRC-32C, each optimiser moment against its
/// parameter's shape; a file written without checksums (elsewhere, or before they existed) still loads.
@Suite(.fastPath) struct CheckpointTests {
    @Test func crc32cByHand() {
        // The standard check value of CRC-32C, and the empty input.
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        // Negative control: one changed byte changes the checksum.
        #expect(CRC32C.checksum(Array("123456780".utf8)) != 0xE306_9283)
    }

    /// A saved checkpoint of a tiny run, its bytes, and the offset where its tensor data starts.
    func savedCheckpoint() throws -> (trainer: DINOTrainer, url: URL, bytes: Data, dataStart: Int) {
        let trainer = try tinyTrainer()
        try trainer.saveCheckpoint(numbered: false)
        let bytes = try Data(contentsOf: trainer.checkpointURL)
        let headerLength = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        return (trainer, trainer.checkpointURL, bytes, 8 + headerLength)
    }

    func load(_ trainer: DINOTrainer, _ url: URL) throws {
        var (model, optimizer, loss) = (trainer.model, trainer.optimizer, trainer.criterion)
        _ = try Checkpoint.load(from: url, model: &model, optimizer: &optimizer, loss: &loss)
    }

    @Test func aChangedByteIsFoundAndTheTensorNamed() throws {
        let (trainer, url, bytes, dataStart) = try savedCheckpoint()
        try load(trainer, url)  // negative control: the file as written loads
        var changed = bytes
        let position = dataStart + (bytes.count - dataStart) / 2
        changed[position] ^= 0x01
        try changed.write(to: url)
        let error = #expect(throws: DataError.self) { try load(trainer, url) }
        #expect(error?.description.contains("is corrupt") == true, "\(String(describing: error))")
        #expect(error?.description.contains("tensor ") == true)
        // `features` reads through the same check.
        var backbone = trainer.model.teacher.backbone
        #expect(throws: DataError.self) { try Checkpoint.teacherBackbone(of: url, into: &backbone) }
    }

    @Test func aFileWithoutChecksumsStillLoads() throws {
        let (trainer, url, _, _) = try savedCheckpoint()
        var metadata = try SafeTensors.readMetadata(url)
        metadata[Checkpoint.checksumKey] = nil
        let tensors = try SafeTensors.read(url).sorted { $0.key < $1.key }.map { (name: $0.key, tensor: $0.value) }
        try SafeTensors.write(tensors, metadata: metadata, to: url)
        try load(trainer, url)
    }

    @Test func anOptimiserMomentOfTheWrongShapeIsNamed() throws {
        let (trainer, url, _, _) = try savedCheckpoint()
        var (model, optimizer, loss) = (trainer.model, trainer.optimizer, trainer.criterion)
        // Give the optimiser a step, then a moment one element short, and save it as a checkpoint would.
        let gradients = model.student
        optimizer.step(&model.student, gradients: gradients, learningRate: 1e-3, weightDecay: 0)
        optimizer.firstMoments["head.mlp.0.bias"] = Tensor(zeros: [15])
        try Checkpoint.save(model: model, optimizer: optimizer, loss: loss, state: trainer.state, configuration: trainer.configuration, to: url)
        let error = #expect(throws: DataError.self) {
            _ = try Checkpoint.load(from: url, model: &model, optimizer: &optimizer, loss: &loss)
        }
        #expect(error?.description.contains("optimizer.exp_avg.student.head.mlp.0.bias has shape [15]") == true, "\(String(describing: error))")
    }
}
