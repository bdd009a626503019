// The errors, atomic writes, safetensors and checksums that every layer shares live in `DINOSupport`,
// below the chapters; whoever imports `DINO` speaks them too (its functions throw them).
@_exported import DINOSupport
