import ArgumentParser
import DINO
import DINOTraining
import Foundation
import Testing

@testable import Ch09Trainer

/// The command line is one table: every option has a row, every row sets its field, and `--help`
/// shows the default read from the configuration.
@Suite struct TrainingOptionsTests {
    /// A value for each flag that differs from DINO's default.
    static let samples: [String: String] = [
        "dataset": "synthetic", "data-path": "/data", "train-subset": "5", "eval-train-subset": "5", "eval-test-subset": "5",
        "channels": "3", "arch": "vit_small", "depth": "3", "patch-size": "8", "out-dim": "100", "norm-last-layer": "false",
        "momentum-teacher": "0.9", "teacher-temp": "0.05", "warmup-teacher-temp": "0.03", "warmup-teacher-temp-epochs": "3",
        "weight-decay": "0.1", "weight-decay-end": "0.2", "clip-grad": "1", "batch-size": "8", "epochs": "3",
        "freeze-last-layer": "0", "lr": "0.1", "warmup-epochs": "2", "min-lr": "0.001", "drop-path-rate": "0.2",
        "global-crop-size": "64", "local-crop-size": "32", "global-crops-scale": "0.5,1", "local-crops-number": "3",
        "local-crops-scale": "0.1,0.3", "gaussian-blur": "0,0,0", "solarization-prob": "0.5", "color-jitter-strength": "0.5",
        "seed": "7", "threads": "1", "path": "reference", "precision": "bf16", "output-dir": "/runs/x", "saveckp-freq": "2",
        "checkpoint-every-iterations": "5", "eval-every": "2", "n-last-blocks": "2", "avgpool-patchtokens": "true", "overlap-communication": "false",
        "knn-features": "probe",
    ]

    @Test func everyOptionHasARowAndEveryRowAnOption() {
        let rows = Set(TrainingOptions.table.map(\.flag))
        #expect(rows.count == TrainingOptions.table.count, "a flag appears twice in the table")
        // The options ArgumentParser knows, from the help it prints.
        let help = TrainingOptions.helpMessage(columns: 1000)
        let flags = Set(help.split(separator: "\n").compactMap { line in line.firstMatch(of: #/^\s+--([a-z][a-z0-9-]*) /#).map { String($0.output.1) } })
            .subtracting(["preset", "help"])
        #expect(flags == rows, "options without a row: \(flags.subtracting(rows).sorted()); rows without an option: \(rows.subtracting(flags).sorted())")
        #expect(Set(Self.samples.keys) == rows, "a sample value per row: missing \(rows.subtracting(Self.samples.keys).sorted())")
    }

    /// A preset that falls back to float32 says that its stated time was bfloat16's; nothing is said where the
    /// kernel is here, the precision was chosen, or the preset does not choose one (b1).
    @Test func aPresetInFloat32ForWantOfTheKernelSaysSo() throws {
        let note = try #require(try TrainingOptions.parse(["--preset", "fashion"]).presetPrecisionNote(kernelIsAvailable: false))
        #expect(note.contains("--preset fashion computes in float32") && note.contains("--epochs 15 --local-crops-number 2 fits two hours"), "\(note)")
        // The two-hour options are offered only where the preset's own length is in force, and only for fashion.
        let withEpochs = try #require(try TrainingOptions.parse(["--preset", "fashion", "--epochs", "37"]).presetPrecisionNote(kernelIsAvailable: false))
        #expect(!withEpochs.contains("--epochs"), "\(withEpochs)")
        #expect(try TrainingOptions.parse(["--preset", "quick"]).presetPrecisionNote(kernelIsAvailable: false)?.contains("--epochs") == false)
        #expect(try TrainingOptions.parse(["--preset", "quick"]).presetPrecisionNote(kernelIsAvailable: false) != nil)
        #expect(try TrainingOptions.parse(["--preset", "fashion"]).presetPrecisionNote(kernelIsAvailable: true) == nil)
        #expect(try TrainingOptions.parse(["--preset", "fashion", "--precision", "fp32"]).presetPrecisionNote(kernelIsAvailable: false) == nil)
        #expect(try TrainingOptions.parse(["--preset", "b1"]).presetPrecisionNote(kernelIsAvailable: false) == nil)
        #expect(try TrainingOptions.parse([]).presetPrecisionNote(kernelIsAvailable: false) == nil)
    }

    @Test(arguments: TrainingOptions.table.map(\.flag))
    func eachRowSetsItsField(flag: String) throws {
        let options = try TrainingOptions.parse(["--\(flag)", Self.samples[flag] ?? ""])
        var c = TrainingConfiguration()
        try options.apply(to: &c)
        #expect(c != TrainingConfiguration(), "--\(flag) \(Self.samples[flag] ?? "") left the configuration as it was")
        // Negative control: without the option, nothing changes.
        var untouched = TrainingConfiguration()
        try TrainingOptions.parse([]).apply(to: &untouched)
        #expect(untouched == TrainingConfiguration())
    }

    @Test func theHelpShowsTheConfigurationsDefaults() {
        let help = TrainingOptions.helpMessage(columns: 1000)
        let defaults = TrainingConfiguration()
        for (flag, shown) in [("lr", "0.0005"), ("local-crops-number", "\(defaults.augmentation.localCropsNumber)"),
                              ("threads", "\(ComputeSettings().threads)"), ("global-crops-scale", "0.4,1"), ("momentum-teacher", "0.996"),
                              ("teacher-temp", "0.04"), ("path", "fast"), ("precision", "fp32"), ("gaussian-blur", "1,0.1,0.5")] {
            // The option's entry: its line and the lines of its help below it, up to the next option.
            let lines = help.split(separator: "\n")
            let start = lines.firstIndex { $0.hasPrefix("  --\(flag) ") } ?? lines.endIndex
            let entry = lines[start...].prefix { $0 == lines[start] || !$0.hasPrefix("  --") }.joined(separator: " ")
            #expect(entry.contains("(default: \(shown))"), "--\(flag)'s help should show its default \(shown): \(entry)")
        }
        // A flag outside the table has no help of its own: the table is where an option is added.
        #expect(TrainingOptions.help("no-such-flag").abstract == "(not in the table)")
    }

    @Test func aListOptionTakesItsCountOfNumbers() throws {
        var c = TrainingConfiguration()
        try TrainingOptions.parse(["--local-crops-scale", "0.1, 0.3"]).apply(to: &c)
        #expect(c.augmentation.localCropsScale == [0.1, 0.3])
        for wrong in ["0.1", "0.1,0.2,0.3", "a,b", "0.1,"] {
            #expect(throws: ValidationError.self, "--local-crops-scale \(wrong)") {
                var c = TrainingConfiguration()
                try TrainingOptions.parse(["--local-crops-scale", wrong]).apply(to: &c)
            }
        }
    }
}
