import DINO
import Foundation

/// Everything a run needs to continue bit for bit, in one safetensors file: the student and the
/// teacher under the reference's names (`student.backbone.blocks.0.attn.qkv.weight`, …), the AdamW
/// moments (`optimizer.exp_avg.*`, `optimizer.exp_avg_sq.*`) and step counts, the centre
/// (`dino_loss.center`), the position in the run and the options. No generator state is needed: every
/// random draw is derived from the seed, the epoch, the iteration and the image index.
public enum Checkpoint {
    /// The format tag written into the metadata.
    public static let format = "dino-swift-checkpoint-1"

    /// The metadata entry holding each tensor's CRC-32C (hexadecimal, by name).
    public static let checksumKey = "tensor_crc32c"

    /// The tensors of a checkpoint, each checked against its CRC-32C. A checkpoint of this trainer (its
    /// metadata holds a configuration) always records them: one without is refused unless
    /// `allowUnverified` (`--allow-unverified`); files written elsewhere (a timm export) load unchecked.
    /// Throws a message naming the file and the corrupt tensor.
    public static func verifiedTensors(_ url: URL, allowUnverified: Bool = false) throws -> [String: Tensor] {
        let metadata = try SafeTensors.readMetadata(url)
        let tensors = try SafeTensors.read(url)
        guard let json = metadata[checksumKey] else {
            guard metadata["configuration"] == nil || allowUnverified else {
                throw DataError("""
                    \(url.path): a checkpoint of this trainer without its tensors' checksums (\(checksumKey)); every \
                    checkpoint it writes has them, so the file was changed after it was written. Pass --allow-unverified \
                    to load it unchecked, or use another checkpoint
                    """)
            }
            return tensors
        }
        guard let expected = try? JSONDecoder().decode([String: String].self, from: Data(json.utf8)) else {
            throw DataError("\(url.path): its \(checksumKey) metadata is not a JSON object of hexadecimal checksums")
        }
        for (name, tensor) in tensors.sorted(by: { $0.key < $1.key }) {
            guard let recorded = expected[name], let value = UInt32(recorded, radix: 16) else {
                throw DataError("\(url.path): tensor \(name) has no checksum in the file's metadata; the file was changed after it was written")
            }
            let actual = CRC32C.checksum(tensor)
            guard actual == value else {
                throw DataError("""
                    \(url.path): tensor \(name) is corrupt (CRC-32C \(String(actual, radix: 16)), recorded \(recorded)); \
                    the file was changed after it was written: use another checkpoint (checkpointNNNN.safetensors) or start over
                    """)
            }
        }
        if let missing = expected.keys.sorted().first(where: { tensors[$0] == nil }) {
            throw DataError("\(url.path): tensor \(missing) is recorded in the metadata but missing from the file")
        }
        return tensors
    }

    /// Writes a checkpoint atomically (temporary file, then rename): a crash or a full disk leaves the
    /// previous checkpoint intact.
    public static func save(model: DINOViT, optimizer: AdamW, loss: DINOLoss, state: TrainingState,
                            configuration: TrainingConfiguration, to url: URL) throws {
        var tensors = model.student.namedParameters.map { (name: "student." + $0.name, tensor: $0.tensor) }
        tensors += model.teacher.namedParameters.map { (name: "teacher." + $0.name, tensor: $0.tensor) }
        for name in optimizer.firstMoments.keys.sorted() {
            guard let first = optimizer.firstMoments[name], let second = optimizer.secondMoments[name] else {
                throw DataError("the optimiser has a first moment for \(name) but no second one; not writing \(url.path)")
            }
            tensors.append((name: "optimizer.exp_avg.student." + name, tensor: first))
            tensors.append((name: "optimizer.exp_avg_sq.student." + name, tensor: second))
        }
        tensors.append((name: "dino_loss.center", tensor: loss.center.value))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let checksums = Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, String(CRC32C.checksum($0.tensor), radix: 16)) })
        let metadata = [
            checksumKey: String(decoding: try encoder.encode(checksums), as: UTF8.self),
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
    public static func load(from url: URL, model: inout DINOViT, optimizer: inout AdamW, loss: inout DINOLoss,
                            allowUnverified: Bool = false) throws -> TrainingState {
        let metadata = try SafeTensors.readMetadata(url)
        guard metadata["format"] == format, let stateJSON = metadata["state"], let stepsJSON = metadata["optimizer_steps"] else {
            throw DataError("\(url.path): not a checkpoint of this trainer (no \(format) metadata)")
        }
        let tensors = try verifiedTensors(url, allowUnverified: allowUnverified)
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
        guard let state = try? JSONDecoder().decode(TrainingState.self, from: Data(stateJSON.utf8)),
              let steps = try? JSONDecoder().decode([String: Int].self, from: Data(stepsJSON.utf8)) else {
            throw DataError("\(url.path): its state or optimiser step counts are not the JSON this trainer writes")
        }
        optimizer.steps = steps
        optimizer.firstMoments = part("optimizer.exp_avg.student.")
        optimizer.secondMoments = part("optimizer.exp_avg_sq.student.")
        guard Set(optimizer.firstMoments.keys) == Set(optimizer.steps.keys), Set(optimizer.secondMoments.keys) == Set(optimizer.steps.keys) else {
            throw DataError("\(url.path): the optimiser moments do not match its step counts")
        }
        // Each moment must have its parameter's shape: AdamW would otherwise read past the end of one.
        let parameterShapes = Dictionary(uniqueKeysWithValues: student.namedParameters.map { ($0.name, $0.tensor.shape) })
        for name in optimizer.steps.keys.sorted() {
            guard let shape = parameterShapes[name] else { throw DataError("\(url.path): optimiser state for \(name), which the model does not have") }
            for (kind, moments) in [("exp_avg", optimizer.firstMoments), ("exp_avg_sq", optimizer.secondMoments)] where moments[name]?.shape != shape {
                throw DataError("\(url.path): optimizer.\(kind).student.\(name) has shape \(moments[name]?.shape ?? []), the parameter \(shape)")
            }
            guard let steps = optimizer.steps[name], steps >= 1 else {
                throw DataError("\(url.path): the optimiser's step count of \(name) is \(optimizer.steps[name] ?? 0), expected at least 1")
            }
        }
        model = DINOViT(student: student, teacher: teacher)
        loss.center.value = center
        return state
    }

    /// The teacher's backbone of a checkpoint, its tensors verified (see `verifiedTensors`), into a
    /// backbone of the checkpoint's architecture.
    public static func teacherBackbone(of url: URL, into backbone: inout VisionTransformer, allowUnverified: Bool = false) throws {
        let prefix = "teacher.backbone."
        let tensors = try verifiedTensors(url, allowUnverified: allowUnverified).reduce(into: [String: Tensor]()) {
            if $1.key.hasPrefix(prefix) { $0[String($1.key.dropFirst(prefix.count))] = $1.value }
        }
        do { try backbone.load(tensors) } catch let error as ParameterError {
            throw DataError("\(url.path) was written for another model: teacher \(error)")
        }
    }

    /// The options a checkpoint was written with, validated as the command line's are (checkpoints
    /// written before the options were nested still load).
    public static func configuration(of url: URL) throws -> TrainingConfiguration {
        guard let json = try SafeTensors.readMetadata(url)["configuration"] else {
            throw DataError("\(url.path): not a checkpoint of this trainer (no configuration in its metadata)")
        }
        return try TrainingConfiguration.decoded(fromCheckpointJSON: json, file: url)
    }
}
