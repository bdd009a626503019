// swift-tools-version:6.0
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

let package = Package(
    name: "DINO",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "DINO", targets: ["DINO"]),
        .executable(name: "weave", targets: ["weave"]),
        .executable(name: "kernel-benchmark", targets: ["KernelBenchmark"]),
        .executable(name: "step-benchmark", targets: ["StepBenchmark"]),
    ] + chapters.map { .executable(name: $0.product, targets: [$0.module]) },
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/JohnSundell/Ink", from: "0.6.0"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenBLAS",
            path: "Sources/COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),
        .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi", providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", path: "Sources/CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg62-turbo-dev"])]),
        .target(name: "JPEGDecoder", dependencies: ["CJPEG"], path: "Sources/JPEGDecoder"),
        .target(name: "VectorKernels", path: "Sources/VectorKernels"),
        .target(name: "Figures", path: "Sources/Figures"),
        .target(name: "DINO", dependencies: ["Figures", "COpenBLAS", "CMalloc", "CMPI", "CZlib", "CPNG", "JPEGDecoder", "VectorKernels"], path: "Sources/DINO"),
        .target(name: "Notebook", path: "Sources/Notebook"),
        .target(name: "DINOTestSupport", dependencies: ["DINO"], path: "Sources/DINOTestSupport"),
        .target(name: "WeaveKit", dependencies: [.product(name: "Ink", package: "Ink")], path: "Tools/WeaveKit"),
        .executableTarget(
            name: "weave",
            dependencies: ["WeaveKit", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Tools/weave"
        ),
        .executableTarget(
            name: "KernelBenchmark",
            dependencies: ["DINO", "COpenBLAS", "VectorKernels", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Benchmarks/KernelBenchmark"
        ),
        .executableTarget(
            name: "StepBenchmark",
            dependencies: ["DINO", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Benchmarks/StepBenchmark"
        ),
        .target(name: "Exercises", dependencies: ["DINO"], path: "Exercises/\(exerciseSide)"),
        .testTarget(name: "DINOTests", dependencies: ["DINO", "DINOTestSupport", "Figures"], path: "Tests/DINOTests"),
        .testTarget(
            name: "ChapterTests",
            dependencies: ["DINO", "Figures", "Notebook"] + chapters.map { .target(name: $0.module) },
            path: "Tests/ChapterTests"
        ),
        .testTarget(name: "BookTests", dependencies: ["WeaveKit"], path: "Tests/BookTests"),
        .testTarget(
            name: "ExerciseTests",
            dependencies: ["Exercises", "DINO", "DINOTestSupport"],
            path: "Exercises/Tests"
        ),
    ] + chapters.map {
        .executableTarget(
            name: $0.module,
            dependencies: ["DINO", "Figures", "Notebook"]
                + ($0.folder == "09-Trainer" ? [.product(name: "ArgumentParser", package: "swift-argument-parser")] : []),
            path: "Chapters/\($0.folder)",
            exclude: ["expected.txt"] + ($0.folder == "01-PatchEmbedding" ? ["ankle-boot.pgm"] : [])
        )
    }
)
