import Foundation

/// Where a run is: the epoch it is in and how many of that epoch's batches are done.
public struct TrainingState: Codable, Equatable, Sendable {
    /// The current epoch (0-based).
    public var epoch = 0
    /// Batches of the current epoch already trained.
    public var batch = 0
    /// Steps since the start of the run.
    public var iteration = 0

    /// The start of a run.
    public init() {}
}

/// Everything a run needs to continue bit for bit, in one safetensors file: the student and the
/// teacher under the reference's names (`student.backbone.blocks.0.attn.qkv.weight`, …), the AdamW
/// moments (`optimizer.exp_avg.*`, `optimizer.exp_avg_sq.*`) and step counts, the centre
/// (`dino_loss.center`), the position in the run and the options. No generator state is needed: every
/// random draw is derived from the seed, the epoch, the iteration and the image index.
public enum Checkpoint {
    /// The format tag written into the metadata.
    public static let format = "dino-swift-checkpoint-1"

    /// Writes a checkpoint atomically (temporary file, then rename): a crash or a full disk leaves the
    /// previous checkpoint intact.
    public static func save(model: DINOViT, optimizer: AdamW, loss: DINOLoss, state: TrainingState,
                            configuration: TrainingConfiguration, to url: URL) throws {
        var tensors = model.student.namedParameters.map { (name: "student." + $0.name, tensor: $0.tensor) }
        tensors += model.teacher.namedParameters.map { (name: "teacher." + $0.name, tensor: $0.tensor) }
        for name in optimizer.firstMoments.keys.sorted() {
            tensors.append((name: "optimizer.exp_avg.student." + name, tensor: optimizer.firstMoments[name]!))
            tensors.append((name: "optimizer.exp_avg_sq.student." + name, tensor: optimizer.secondMoments[name]!))
        }
        tensors.append((name: "dino_loss.center", tensor: loss.center.value))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let metadata = [
            "format": format,
            "state": String(decoding: try encoder.encode(state), as: UTF8.self),
            "configuration": String(decoding: try encoder.encode(configuration), as: UTF8.self),
            "optimizer_steps": String(decoding: try encoder.encode(optimizer.steps), as: UTF8.self),
        ]
        try SafeTensors.write(tensors, metadata: metadata, to: url)
    }

    /// Restores a checkpoint into a model, optimiser and loss built from the same options. Throws a
    /// message naming the file and the first parameter that does not fit when it was written for another
    /// architecture.
    public static func load(from url: URL, model: inout DINOViT, optimizer: inout AdamW, loss: inout DINOLoss) throws -> TrainingState {
        let metadata = try SafeTensors.readMetadata(url)
        guard metadata["format"] == format, let stateJSON = metadata["state"], let stepsJSON = metadata["optimizer_steps"] else {
            throw DataError("\(url.path): not a checkpoint of this trainer (no \(format) metadata)")
        }
        let tensors = try SafeTensors.read(url)
        func part(_ prefix: String) -> [String: Tensor] {
            tensors.reduce(into: [:]) { if $1.key.hasPrefix(prefix) { $0[String($1.key.dropFirst(prefix.count))] = $1.value } }
        }
        var (student, teacher) = (model.student, model.teacher)
        do { try student.load(part("student.")) } catch let error as ParameterError {
            throw DataError("\(url.path) was written for another model: student \(error)")
        }
        do { try teacher.load(part("teacher.")) } catch let error as ParameterError {
            throw DataError("\(url.path) was written for another model: teacher \(error)")
        }
        guard let center = tensors["dino_loss.center"], center.shape == loss.center.value.shape else {
            throw DataError("\(url.path): dino_loss.center is missing or not \(loss.center.value.shape) (another out_dim?)")
        }
        let state = try JSONDecoder().decode(TrainingState.self, from: Data(stateJSON.utf8))
        optimizer.steps = try JSONDecoder().decode([String: Int].self, from: Data(stepsJSON.utf8))
        optimizer.firstMoments = part("optimizer.exp_avg.student.")
        optimizer.secondMoments = part("optimizer.exp_avg_sq.student.")
        guard Set(optimizer.firstMoments.keys) == Set(optimizer.steps.keys), Set(optimizer.secondMoments.keys) == Set(optimizer.steps.keys) else {
            throw DataError("\(url.path): the optimiser moments do not match its step counts")
        }
        model = DINOViT(student: student, teacher: teacher)
        loss.center.value = center
        return state
    }

    /// The options a checkpoint was written with.
    public static func configuration(of url: URL) throws -> TrainingConfiguration {
        guard let json = try SafeTensors.readMetadata(url)["configuration"] else {
            throw DataError("\(url.path): not a checkpoint of this trainer (no configuration in its metadata)")
        }
        return try JSONDecoder().decode(TrainingConfiguration.self, from: Data(json.utf8))
    }
}
