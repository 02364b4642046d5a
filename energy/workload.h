#pragma once

#include "energy/soc.h"

namespace qeil::energy {

// MODEL.md §2 Workloads: a transformer inference run described by its size, turned into a
// compute-bound prefill phase and a memory-bound decode phase.
struct TransformerDesc {
  double params = 0.0;        // N
  double bitsPerWeight = 16;  // b
  int layers = 0;             // L
  int kvWidth = 0;            // d_kv: K (or V) width per layer, all KV heads
  int contextTokens = 0;      // c: context length during decode
  int promptTokens = 0;       // P
  int outputTokens = 0;       // T
  double kvBytesPerElem = 2;  // fp16 KV cache
  double scratchBytes = 0.0;  // activations and runtime buffers
  DataType dtype = DataType::Fp16;
};

enum class PhaseKind { Prefill, Decode };

struct Phase {
  int workload = 0;
  PhaseKind kind = PhaseKind::Prefill;
  DataType dtype = DataType::Fp16;
  double flops = 0.0;
  double bytes = 0.0;           // DRAM traffic
  double footprintBytes = 0.0;  // the workload's, shared by its phases
  double arithmeticIntensity() const { return bytes > 0 ? flops / bytes : 0.0; }
};

// Footprint M = N*b/8 + KV(c) + scratch, KV(c) = 2*L*c*d_kv*bytes_kv.
double footprintBytes(const TransformerDesc& w);
// Prefill: F = 2*N*P, B = N*b/8 (weights streamed once for the whole prompt).
Phase prefillPhase(const TransformerDesc& w, int workload);
// Decode over T tokens, each F = 2*N + 4*L*c*d_kv, B = N*b/8 + 2*L*c*d_kv*bytes_kv.
Phase decodePhase(const TransformerDesc& w, int workload);

}  // namespace qeil::energy
