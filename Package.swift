// swift-tools-version:6.1
// DINO in Swift: a literate, CPU-trainable DINO (Caron et al. 2021).
// Layout and reasons: README.md and book/README.md.
import Foundation
import PackageDescription

/// `DINO_EXERCISES=stubs` builds the exercise stubs a student edits; anything else builds the
/// reference solutions, so that `swift test` is green on a fresh clone.
let exerciseSide = ProcessInfo.processInfo.environment["DINO_EXERCISES"] == "stubs" ? "Stubs" : "Solutions"

/// Every chapter is its own executable: `swift run chNN-name`.
let chapters: [(folder: String, module: String, product: String)] = [
    ("00-Tensors", "Ch00Tensors", "ch00-tensors"),
    ("01-PatchEmbedding", "Ch01PatchEmbedding", "ch01-patch-embedding"),
    ("02-Attention", "Ch02Attention", "ch02-attention"),
    ("03-ViT", "Ch03ViT", "ch03-vit"),
    ("04-DINOHead", "Ch04DINOHead", "ch04-dino-head"),
    ("05-Centering", "Ch05Centering", "ch05-centering"),
    ("06-Loss", "Ch06Loss", "ch06-loss"),
    ("07-Teacher", "Ch07Teacher", "ch07-teacher"),
    ("08-Schedules", "Ch08Schedules", "ch08-schedules"),
    ("09-Trainer", "Ch09Trainer", "ch09-trainer"),
    ("10-DataParallel", "Ch10DataParallel", "ch10-data-parallel"),
]

/// swift-argument-parser, for the command lines.
let commandLine = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")

/// What a chapter builds on beyond the core: chapters 00–08 need only `DINO` (and so only a BLAS);
/// chapter 09 adds the trainer's layer and its command line; chapter 10 the processes of a run.
func layers(of folder: String) -> [Target.Dependency] {
    switch folder {
    case "09-Trainer": return ["DINOTraining", "DINODistributed", commandLine]
    case "10-DataParallel": return ["DINOTraining", "DINODistributed"]
    default: return []
    }
}

/// C libraries, each linked only by the layer that uses it.
let cLibraries: [Target] = [
    .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),
    .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi", providers: [.apt(["libopenmpi-dev", "openmpi-bin"]), .brew(["open-mpi"])]),
    .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"]), .brew(["libpng"])]),
    .systemLibrary(name: "CJPEG", path: "Sources/CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg-dev"]), .brew(["jpeg-turbo"])]),
    .target(name: "JPEGDecoder", dependencies: ["CJPEG"], path: "Sources/JPEGDecoder"),
    .target(name: "VectorKernels", path: "Sources/VectorKernels"),
    .target(name: "CRC32CKernel", path: "Sources/CRC32CKernel"),
]

/// The library, by layer: each builds on the one before and links only what it uses.
let libraryLayers: [Target] = [
    // What every layer uses: errors, atomic writes, safetensors, checksums.
    .target(name: "DINOSupport", dependencies: ["CRC32CKernel"], path: "Sources/DINOSupport"),
    // Chapters 00–08: the reference path the book quotes and the fast path; only a BLAS below it.
    // OpenBLAS on Linux, Accelerate on a Mac (`Sources/DINO/Fast/SystemBLAS.swift` is the one file that calls either).
    .target(name: "DINO",
            dependencies: ["DINOSupport", "VectorKernels", .target(name: "COpenBLAS", condition: .when(platforms: [.linux])),
                           .target(name: "CMalloc", condition: .when(platforms: [.linux]))],
            path: "Sources/DINO",
            linkerSettings: [.linkedFramework("Accelerate", .when(platforms: [.macOS]))]),
    // Chapter 10: the processes of a run and their all-reduce; the only target that links Open MPI.
    .target(name: "DINODistributed", dependencies: ["DINO", .target(name: "CMPI", condition: .when(traits: ["MPI"]))],
            path: "Sources/DINODistributed"),
    // Chapter 09: data, image codecs, augmentation, evaluation, persistence, run control, the trainer.
    .target(name: "DINOTraining", dependencies: ["DINO", "DINODistributed", "Figures", "CZlib", "CPNG", "JPEGDecoder"],
            path: "Sources/DINOTraining"),
    .target(name: "Figures", path: "Sources/Figures"),
    .target(name: "Notebook", path: "Sources/Notebook"),
]

/// The book's weaver, the benchmarks and the exercises.
let tools: [Target] = [
    .target(name: "WeaveKit", dependencies: [.product(name: "Ink", package: "Ink")], path: "Tools/WeaveKit"),
    .executableTarget(name: "weave", dependencies: ["WeaveKit", commandLine], path: "Tools/weave"),
    .executableTarget(name: "KernelBenchmark", dependencies: ["DINO", "VectorKernels", commandLine],
                      path: "Benchmarks/KernelBenchmark"),
    .executableTarget(name: "StepBenchmark", dependencies: ["DINO", "DINOTraining", commandLine], path: "Benchmarks/StepBenchmark"),
    .executableTarget(name: "AllReduceBenchmark", dependencies: ["DINO", "DINODistributed", commandLine], path: "Benchmarks/AllReduceBenchmark"),
    .target(name: "Exercises", dependencies: ["DINO", "DINOTraining", "DINODistributed"], path: "Exercises/\(exerciseSide)"),
]

let allLayers: [Target.Dependency] = ["DINO", "DINOTraining", "DINODistributed"]

let tests: [Target] = [
    .target(name: "DINOTestSupport", dependencies: ["DINO", "DINOTraining"], path: "Sources/DINOTestSupport"),
    .testTarget(name: "DINOTests", dependencies: allLayers + ["DINOTestSupport", "Figures", "CRC32CKernel"], path: "Tests/DINOTests"),
    .testTarget(name: "ChapterTests", dependencies: allLayers + ["Figures", "Notebook"] + chapters.map { .target(name: $0.module) },
                path: "Tests/ChapterTests"),
    .testTarget(name: "BookTests", dependencies: ["WeaveKit", "DINOSupport", .product(name: "Ink", package: "Ink")], path: "Tests/BookTests"),
    .testTarget(name: "ExerciseTests", dependencies: allLayers + ["Exercises", "DINOTestSupport"], path: "Exercises/Tests"),
]

let chapterTargets: [Target] = chapters.map {
    .executableTarget(
        name: $0.module,
        dependencies: ["DINO", "Figures", "Notebook"] + layers(of: $0.folder),
        path: "Chapters/\($0.folder)",
        exclude: ["expected.txt"] + ($0.folder == "01-PatchEmbedding" ? ["ankle-boot.pgm"] : [])
    )
}

let package = Package(
    name: "DINO",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "DINO", targets: ["DINO"]),
        .library(name: "DINOTraining", targets: ["DINOTraining"]),
        .executable(name: "weave", targets: ["weave"]),
        .executable(name: "kernel-benchmark", targets: ["KernelBenchmark"]),
        .executable(name: "step-benchmark", targets: ["StepBenchmark"]),
        .executable(name: "all-reduce-benchmark", targets: ["AllReduceBenchmark"]),
    ] + chapters.map { .executable(name: $0.product, targets: [$0.module]) },
    traits: [
        .trait(name: "MPI", description: """
            Data-parallel training across processes with Open MPI (chapter 10). Turn it off with \
            --disable-default-traits where Open MPI is not installed: everything else builds, and trains on one process.
            """),
        .default(enabledTraits: ["MPI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/JohnSundell/Ink", from: "0.6.0"),
    ],
    targets: cLibraries + libraryLayers + tools + tests + chapterTargets
)
