import DINO
import Foundation

/// The options as checkpoints wrote them before the model's parts were nested: one flat object under
/// the reference's names (`outDim`, `momentumTeacher`, `lr`, …). Read so that those checkpoints still
/// resume and still give their features.
struct FlatTrainingConfiguration: Decodable {
    var dataset: String, dataPath: String?, trainSubset: Int?, evalTrainSubset: Int?, evalTestSubset: Int?, channels: Int
    var architecture: String, depth: Int, patchSize: Int, outDim: Int, headHiddenDim: Int, bottleneckDim: Int
    var normLastLayer: Bool, dropPathRate: Float
    var teacherTemperature: Float, warmupTeacherTemperature: Float, warmupTeacherTemperatureEpochs: Int
    var studentTemperature: Float, centerMomentum: Float
    var epochs: Int, batchSize: Int, lr: Double, minLr: Double, warmupEpochs: Int, weightDecay: Double, weightDecayEnd: Double
    var clipGrad: Float, freezeLastLayer: Int, momentumTeacher: Double
    var globalCropSize: Int, localCropSize: Int, globalCropsScale: [Double], localCropsNumber: Int, localCropsScale: [Double]
    var seed: UInt64, threads: Int, path: ComputePath?, outputDir: String, saveckpFreq: Int, checkpointEveryIterations: Int
    var evalEvery: Int, knnK: [Int], knnTemperature: Float

    /// The same options, nested. An unknown architecture keeps the default backbone width, and
    /// `validate` then names it.
    var nested: TrainingConfiguration {
        var c = TrainingConfiguration()
        (c.dataset, c.dataPath, c.trainSubset, c.evalTrainSubset, c.evalTestSubset) = (dataset, dataPath, trainSubset, evalTrainSubset, evalTestSubset)
        c.architecture = architecture
        // The flat format kept `channels` for folders only; Fashion-MNIST and synthetic images have one.
        (c.backbone.channels, c.backbone.depth, c.backbone.patchSize, c.backbone.dropPathRate) = (dataset == "folder" ? channels : 1, depth, patchSize, dropPathRate)
        (c.head.outputDimension, c.head.hiddenDimension, c.head.bottleneckDimension, c.head.normLastLayer) = (outDim, headHiddenDim, bottleneckDim, normLastLayer)
        (c.loss.teacherTemperature, c.loss.warmupTeacherTemperature, c.loss.warmupTeacherTemperatureEpochs) = (teacherTemperature, warmupTeacherTemperature, warmupTeacherTemperatureEpochs)
        (c.loss.studentTemperature, c.loss.centerMomentum) = (studentTemperature, centerMomentum)
        (c.epochs, c.batchSize, c.learningRate, c.finalLearningRate, c.warmupEpochs) = (epochs, batchSize, lr, minLr, warmupEpochs)
        (c.weightDecay, c.finalWeightDecay, c.gradientClip, c.freezeLastLayer, c.teacherMomentum) = (weightDecay, weightDecayEnd, clipGrad, freezeLastLayer, momentumTeacher)
        c.globalCropSize = globalCropSize
        (c.augmentation.localCropSize, c.augmentation.globalCropsScale) = (localCropSize, globalCropsScale)
        (c.augmentation.localCropsNumber, c.augmentation.localCropsScale) = (localCropsNumber, localCropsScale)
        (c.seed, c.compute.threads, c.compute.path, c.outputDir, c.numberedCheckpointEvery) = (seed, threads, path ?? .fast, outputDir, saveckpFreq)
        (c.checkpointEveryIterations, c.evalEvery, c.knnK, c.knnTemperature) = (checkpointEveryIterations, evalEvery, knnK, knnTemperature)
        return c
    }
}

extension TrainingConfiguration {
    /// The options saved in a checkpoint's metadata, in either format, validated as the command line's
    /// are. Throws a message naming the file and what is wrong with it.
    static func decoded(fromCheckpointJSON json: String, file: URL) throws -> TrainingConfiguration {
        let data = Data(json.utf8)
        let configuration: TrainingConfiguration
        do {
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            if let object, object["backbone"] != nil {
                let current = try JSONSerialization.data(withJSONObject: try nestingAugmentationAndCompute(object))
                configuration = try JSONDecoder().decode(TrainingConfiguration.self, from: current)
            } else {
                configuration = try JSONDecoder().decode(FlatTrainingConfiguration.self, from: data).nested
            }
        } catch let error as DecodingError {
            throw DataError("\(file.path): its saved configuration cannot be read (\(describe(error))); the file is damaged or was not written by this trainer")
        } catch {
            throw DataError("\(file.path): its saved configuration cannot be read (not JSON); the file is damaged or was not written by this trainer")
        }
        do { try configuration.validate() } catch let error as ConfigurationError {
            throw DataError("\(file.path): its saved configuration is impossible: \(error)")
        }
        return configuration
    }
}

/// The options as checkpoints wrote them before the augmentation and the compute settings were nested:
/// their fields at the top level (`localCropSize`, `globalCropsScale`, …, `threads`, `path`, `precision`),
/// the number of local crops only in `loss.cropCount`, and the three newest augmentation options absent
/// when they had their defaults. Moved into `augmentation` and `compute`; a configuration already nested
/// is returned as it is.
private func nestingAugmentationAndCompute(_ saved: [String: Any]) throws -> [String: Any] {
    guard saved["augmentation"] == nil, saved["compute"] == nil else { return saved }
    let defaults = TrainingConfiguration()
    var object = saved
    var augmentation = try JSONSerialization.jsonObject(with: JSONEncoder().encode(defaults.augmentation)) as? [String: Any] ?? [:]
    for key in ["localCropSize", "globalCropsScale", "localCropsScale", "blurProbabilities", "solarizationProbability", "colorJitterStrength"] {
        if let value = object.removeValue(forKey: key) { augmentation[key] = value }
    }
    if let loss = object["loss"] as? [String: Any], let crops = loss["cropCount"] as? Int, let global = loss["globalCropCount"] as? Int {
        augmentation["localCropsNumber"] = crops - global
    }
    var compute = try JSONSerialization.jsonObject(with: JSONEncoder().encode(defaults.compute)) as? [String: Any] ?? [:]
    for key in ["threads", "path", "precision"] {
        if let value = object.removeValue(forKey: key) { compute[key] = value }
    }
    (object["augmentation"], object["compute"]) = (augmentation, compute)
    return object
}

/// A decoding error in a user's words: which key is missing or of the wrong type.
private func describe(_ error: DecodingError) -> String {
    func path(_ context: DecodingError.Context) -> String {
        context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }
    switch error {
    case .keyNotFound(let key, let context): return "no \((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))"
    case .typeMismatch(_, let context), .valueNotFound(_, let context): return "\(path(context)) has the wrong type"
    case .dataCorrupted(let context): return "\(path(context)): \(context.debugDescription)"
    @unknown default: return "\(error)"
    }
}
