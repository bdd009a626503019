import DINO
import DINOTraining
import Foundation
import Testing

/// Each default of a run is written once, in the part of `TrainingConfiguration` that owns it
/// (`LossConfiguration.swift` for τ_s, `ComputeSettings.swift` for the threads, …): a second literal
/// elsewhere drifts the day one of them changes. Read by reflection from the configuration's defaults,
/// then looked for in the library's declarations (stored properties and parameters with a literal
/// default).
@Suite struct DefaultsWrittenOnceTests {
    /// One default: its name, the type that owns it, and its value (numbers as `Double`, lists flat).
    struct Setting: CustomStringConvertible {
        let name: String, owner: String, values: [Double]
        var description: String { "\(owner).\(name) = \(values)" }
    }

    /// Every numeric leaf of `value` and its nested parts, with the type that declares it.
    static func settings(of value: Any) -> [Setting] {
        let mirror = Mirror(reflecting: value)
        let owner = String(describing: mirror.subjectType)
        return mirror.children.flatMap { child -> [Setting] in
            guard let name = child.label else { return [] }
            if let numbers = numbers(child.value) { return [Setting(name: name, owner: owner, values: numbers)] }
            let nested = Mirror(reflecting: child.value)
            return nested.displayStyle == .struct ? settings(of: child.value) : []
        }
    }

    /// A number or a list of numbers as `Double`s; `nil` for anything else.
    static func numbers(_ value: Any) -> [Double]? {
        switch value {
        case let number as Int: return [Double(number)]
        case let number as UInt64: return [Double(number)]
        case let number as Double: return [number]
        case let number as Float: return [Double(number)]
        case let list as [Int]: return list.map(Double.init)
        case let list as [Double]: return list
        default: return nil
        }
    }

    /// A declaration with a literal default: `var name: T = 0.9`, `let name = [1, 2]`, or a parameter
    /// `name: T = 0.9`.
    static var declaration: Regex<(Substring, name: Substring, literal: Substring)> { #/(?:\b(?:var|let)\s+|(?:^|[(,])\s*(?:_\s+)?)(?<name>[A-Za-z_][A-Za-z0-9_]*)\s*(?::\s*[A-Za-z0-9_\[\]?.]+\s*)?=\s*(?<literal>-?[0-9][0-9_.eE+-]*|\[[-0-9_.eE+, ]+\])(?=\s*[,)}\n]|\s*$|\s*//)/# }

    /// The literal's numbers, in order.
    static func values(of literal: Substring) -> [Double] {
        literal.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).split(separator: ",")
            .compactMap { Double($0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "_", with: "")) }
    }

    /// Look-alikes: the same number meaning something else, by file and declared name.
    static let allowed: Set<String> = [
        "AdamW.swift:beta1",  // AdamW's β₁ = 0.9, not the centre's momentum
        "LayerNorm.swift:epsilon",  // LayerNorm's ε = 1e-6, not the final learning rate
        "KNNClassifier.swift:learningRate",  // the linear probe's own AdamW, not DINO's
        "CropLoader.swift:depth",  // batches prepared ahead, not the ViT's blocks
        "CosineSchedule.swift:warmupEpochs",  // the schedule's own "no warm-up", as the reference's cosine_scheduler
    ]

    /// The declarations of `text` (in the file named `file`) that restate one of `settings` outside the
    /// file of the type that owns it: by name, or by a value no integer could be mistaken for.
    static func restatements(in text: String, file: String, settings: [Setting]) -> [String] {
        var found = [String]()
        let names = Set(settings.map(\.name))
        // Where each setting may be written: the files of the types that hold one of that name (the loss's
        // K follows the head's, and both are the same setting).
        let homes = Dictionary(grouping: settings, by: \.name).mapValues { Set($0.map { "\($0.owner).swift" }) }
        let declaration = Self.declaration  // built once per file, not once per line
        for (number, line) in text.components(separatedBy: "\n").enumerated() {
            let code = line.components(separatedBy: "//").first ?? line
            for match in code.matches(of: declaration) {
                let name = String(match.output.name), values = Self.values(of: match.output.literal)
                guard !values.isEmpty, !allowed.contains("\(file):\(name)") else { continue }
                if names.contains(name) {
                    // A setting's own name: only in its home.
                    guard homes[name]?.contains(file) != true, let setting = settings.first(where: { $0.name == name }) else { continue }
                    found.append("\(file):\(number + 1): \(name) = \(match.output.literal) restates \(setting)")
                } else if let setting = settings.first(where: { sameNumbers($0.values, values) && values.contains { $0 != $0.rounded() } }),
                          file != "\(setting.owner).swift" {
                    // Another name for a setting's value outside its home (integers are too common to tell).
                    found.append("\(file):\(number + 1): \(name) = \(match.output.literal) restates \(setting)")
                }
            }
        }
        return found
    }

    /// Whether two lists hold the same numbers at `Float` precision (where most settings live).
    static func sameNumbers(_ a: [Double], _ b: [Double]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { Float($0) == Float($1) }
    }

    /// The library and the command line: where a run's defaults could be written again.
    static let scanned = ["Sources/DINO", "Sources/DINOTraining", "Sources/DINODistributed", "Chapters/09-Trainer"]

    @Test func everyDefaultIsWrittenOnce() throws {
        let settings = Self.settings(of: TrainingConfiguration())
        // The reflection reaches every part: a few of the defaults it must see.
        let names = Set(settings.map { "\($0.owner).\($0.name)" })
        for expected in ["LossConfiguration.centerMomentum", "ComputeSettings.threads", "AugmentationConfiguration.globalCropsScale",
                         "TrainingConfiguration.knnTemperature", "ViTConfiguration.patchSize", "HeadConfiguration.outputDimension"] {
            #expect(names.contains(expected), "the configuration's defaults should include \(expected); found \(names.sorted())")
        }
        var found = [String](), files = 0
        for folder in Self.scanned {
            let base = CodeRulesTests.root.appendingPathComponent(folder)
            guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { continue }
            for case let url as URL in walker where url.pathExtension == "swift" && !url.path.contains("/main.swift") {
                files += 1
                found += Self.restatements(in: try String(contentsOf: url, encoding: .utf8), file: url.lastPathComponent, settings: settings)
            }
        }
        #expect(files > 60)
        #expect(found.isEmpty, "a default written a second time:\n\(found.joined(separator: "\n"))")
    }

    @Test func theRuleCatchesWhatItNames() {
        let settings = Self.settings(of: TrainingConfiguration())
        // Negative controls: the centre's momentum restated in chapter 05, the threads in a command.
        #expect(Self.restatements(in: "    public init(dimension: Int, momentum: Float = 0.9) {", file: "Center.swift", settings: settings).count == 1)
        #expect(Self.restatements(in: "        @Option(help: \"Cores.\") var threads = 2", file: "Commands.swift", settings: settings).count == 1)
        #expect(!Self.restatements(in: "    temperature: Float = 0.07) -> [Int]", file: "KNNClassifier.swift", settings: settings).isEmpty)
        // What it leaves alone: the owner's own declaration, a look-alike on the list, a comment, a plain integer,
        // a setting's value under its own name in another setting's home (τ_t = 0.04 = the weight decay).
        #expect(Self.restatements(in: "    public var centerMomentum: Float = 0.9", file: "LossConfiguration.swift", settings: settings).isEmpty)
        #expect(Self.restatements(in: "    init(beta1: Float = 0.9)", file: "AdamW.swift", settings: settings).isEmpty)
        #expect(Self.restatements(in: "    /// var threads = 2 in the old code", file: "Commands.swift", settings: settings).isEmpty)
        #expect(Self.restatements(in: "    let chunk = 256", file: "KNNClassifier.swift", settings: settings).isEmpty)
        #expect(Self.restatements(in: "    public var teacherTemperature: Float = 0.04", file: "LossConfiguration.swift", settings: settings).isEmpty)
    }
}
