#include "energy/workload.h"

namespace qeil::energy {
namespace {

double weightBytes(const TransformerDesc& w) {
  return w.params * w.bitsPerWeight / 8.0;
}

double kvBytes(const TransformerDesc& w) {
  return 2.0 * w.layers * w.contextTokens * static_cast<double>(w.kvWidth) * w.kvBytesPerElem;
}

}  // namespace

double footprintBytes(const TransformerDesc& w) {
  return weightBytes(w) + kvBytes(w) + w.scratchBytes;
}

Phase prefillPhase(const TransformerDesc& w, int workload) {
  Phase p;
  p.workload = workload;
  p.kind = PhaseKind::Prefill;
  p.dtype = w.dtype;
  p.flops = 2.0 * w.params * w.promptTokens;
  p.bytes = weightBytes(w);
  p.footprintBytes = footprintBytes(w);
  return p;
}

Phase decodePhase(const TransformerDesc& w, int workload) {
  const double attentionFlops = 4.0 * w.layers * w.contextTokens * static_cast<double>(w.kvWidth);
  Phase p;
  p.workload = workload;
  p.kind = PhaseKind::Decode;
  p.dtype = w.dtype;
  p.flops = w.outputTokens * (2.0 * w.params + attentionFlops);
  p.bytes = w.outputTokens * (weightBytes(w) + kvBytes(w));
  p.footprintBytes = footprintBytes(w);
  return p;
}

}  // namespace qeil::energy
