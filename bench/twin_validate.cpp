// bench/twin_validate: the board twin against published measurements. For every measured LLM
// run in ../shared/data/boards/board-data.json on a board that has a file in board-configs/,
// it decides whether the twin can reproduce the run (the board, the model's architecture, the
// quantisation's bits per weight, the device, threads and power mode), runs it on a fresh twin
// of the board file and prints the twin's decode (and prefill) tokens/s and watts beside the
// published figures.
//
// - Watts are the top-level rails (those without a parent: the input a meter in front of the
//   board sees) read through the REAL power-monitor backends over the twin's I2C buses or
//   hwmon files, averaged over the decode. Published wall watts are compared with the twin's
//   input power divided by kPsuEfficiency (the USB-C supply in front of the board).
// - A run published as a range ([5, 8]) is compared with the midpoint.
// - Runs: performance governors, the board's ambient, the power mode the run names (or the
//   board file's stock mode), prompt as published or 128 tokens, 64 decoded tokens or as
//   published.
// Targets: median |error| of decode tokens/s <= 20 %, of watts <= 20 % where watts were
// published; on rk3588.cfg, llama.cpp on all 8 cores slower than on the 4 A76 cores.
// Flags: --data FILE, --board NAME (only that board file's runs), --short (a few runs),
// --results DIR (twin_validate.json and twin_validate.csv).
#include <unistd.h>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "agent/board_check.h"
#include "agent/board_config.h"
#include "bench/support/bench_report.h"
#include "hal/backends.h"
#include "hal/linux/journal.h"
#include "hal/sim/sim_clock.h"
#include "hal/sim/twin.h"
#include "tests/support/temp_dir.h"

namespace qeil {
namespace {

// Published wall power over the twin's board input: an estimate for a small USB-C or barrel
// supply at 5-15 W (85 %).
constexpr double kPsuEfficiency = 0.85;
constexpr int kDefaultPromptTokens = 128;
constexpr int kDefaultOutputTokens = 64;

// board-data.json's board keys and their files in board-configs/.
struct BoardFile {
  const char* dataKey;
  const char* file;
};
constexpr BoardFile kBoards[] = {{"rk3588", "rk3588"},
                                 {"bcm2712_rpi5", "rpi5"},
                                 {"tegra234_orin_nano", "jetson-orin-nano"},
                                 {"tegra234_agx_orin", "jetson-agx-orin"},
                                 {"imx8mp", "imx8mp"}};

// A model's architecture from its published config.json (huggingface.co/<repo>/config.json).
// `streamed` weights per token: every parameter but an untied input embedding (a row lookup).
// Every row was checked against a config.json read with the search tools: `source` is the
// model's repository, `checked` the file the values were read from (most are copies of the
// model's config.json in derived repositories whose config names the model in _name_or_path
// or in the commit; the architecture fields are copied unchanged there). `params` is the sum
// over that config's tensors: embedding, attention (with its biases where the config has
// them), gated MLP, norms and an untied head.
struct ModelArch {
  const char* model;  // board-data.json's "model"
  double params;
  int layers;
  int hidden;
  int kvWidth;  // num_key_value_heads * head_dim
  int vocab;
  bool tied;
  const char* source;
  const char* checked;
};
constexpr ModelArch kModels[] = {
    // The RKLLM table's "Qwen2 0.5B"; Qwen2.5-0.5B has the same dimensions.
    {"Qwen2 0.5B", 0.494e9, 24, 896, 2 * 64, 151936, true, "Qwen/Qwen2-0.5B",
     "huggingface.co/Taekyoon/test_qwen_0_5 commit dce823c config.json (_name_or_path "
     "Qwen/Qwen2-0.5B); rwth-i6/i6_experiments "
     "users/juanola/experiments/e25_11_13_ctc/configurations/qwen2/qwen2_configs.py"},
    {"Qwen3 0.6B", 0.596e9, 28, 1024, 8 * 128, 151936, true, "Qwen/Qwen3-0.6B",
     "huggingface.co/TensorStack/TextEncoder/blob/main/Qwen-3-06B/config.json"},
    {"TinyLLAMA 1.1B", 1.100e9, 22, 2048, 4 * 64, 32000, false,
     "TinyLlama/TinyLlama-1.1B-Chat-v1.0",
     "huggingface.co/dpastushenkov/TinyLlama-1.1B-Chat-v1.0-openvino/blob/main/config.json "
     "(_name_or_path TinyLlama/TinyLlama-1.1B-Chat-v1.0)"},
    {"TinyLlama 1.1B", 1.100e9, 22, 2048, 4 * 64, 32000, false,
     "TinyLlama/TinyLlama-1.1B-Chat-v1.0",
     "huggingface.co/dpastushenkov/TinyLlama-1.1B-Chat-v1.0-openvino/blob/main/config.json "
     "(_name_or_path TinyLlama/TinyLlama-1.1B-Chat-v1.0)"},
    {"InternLM2 1.8B", 1.889e9, 24, 2048, 8 * 128, 92544, false, "internlm/internlm2-chat-1_8b",
     "huggingface.co/recogna-nlp/internlm2-chat-1_8b-ultracabrita config.json (_name_or_path "
     "models--internlm--internlm2-chat-1_8b snapshot)"},
    {"DeepSeek-R1-Distill-Qwen-1.5B", 1.777e9, 28, 1536, 2 * 128, 151936, false,
     "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B",
     "huggingface.co/oumi-ai/MiniMath-R1-1.5B/blob/main/config.json (_name_or_path "
     "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B; tie_word_embeddings false)"},
    {"Qwen3 4B", 4.022e9, 36, 2560, 8 * 128, 151936, true, "Qwen/Qwen3-4B",
     "huggingface.co/MultiRL/qwen3_4b_instruct_sft/blob/main/config.json and "
     "huggingface.co/decompute/slm1/blob/main/config.json (Qwen3ForCausalLM, 2560 x 36 "
     "layers, 40960 positions: Qwen3-4B; neither names its origin)"},
    {"Qwen3-4B", 4.022e9, 36, 2560, 8 * 128, 151936, true, "Qwen/Qwen3-4B", "as \"Qwen3 4B\""},
    {"Phi-3-mini-4k-instruct", 3.821e9, 32, 3072, 32 * 96, 32064, false,
     "microsoft/Phi-3-mini-4k-instruct",
     "huggingface.co/Alignment-Lab-AI/idfkphi4kiguess/blob/main/config.json (duplicate of "
     "microsoft/Phi-3-mini-4k-instruct)"},
    {"Phi 3.5 3B", 3.821e9, 32, 3072, 32 * 96, 32064, false, "microsoft/Phi-3.5-mini-instruct",
     "huggingface.co/twelcone/pii-phi/blob/main/config.json (_name_or_path "
     "microsoft/Phi-3.5-mini-instruct); vocab_size: "
     "huggingface.co/ihughes15234/phi_3_5_mini_10k_con4_bthrough/blob/main/config.json"},
    {"llama3.2:3b", 3.213e9, 28, 3072, 8 * 128, 128256, true, "meta-llama/Llama-3.2-3B",
     "as \"Llama-3.2-3B-Instruct\" (base and instruct models share the dimensions)"},
    {"Llama 3.2 3B", 3.213e9, 28, 3072, 8 * 128, 128256, true, "meta-llama/Llama-3.2-3B",
     "as \"Llama-3.2-3B-Instruct\""},
    {"Llama-3.2-3B-Instruct", 3.213e9, 28, 3072, 8 * 128, 128256, true,
     "meta-llama/Llama-3.2-3B-Instruct",
     "huggingface.co/Sidreds06/MHCV1/blob/main/config.json (_name_or_path "
     "meta-llama/Llama-3.2-3B-Instruct)"},
    {"Llama-3.2-1B-Instruct", 1.236e9, 16, 2048, 8 * 64, 128256, true,
     "meta-llama/Llama-3.2-1B-Instruct",
     "huggingface.co/llmware/llama-3.2-3b-instruct-onnx commit 1fd779b config.json "
     "(_name_or_path meta-llama/Llama-3.2-1B-Instruct); "
     "huggingface.co/Emm9625/Llama-3.2-1B-chatml config.json (duplicate of Llama-3.2-1B)"},
    {"Llama 2 7B", 6.738e9, 32, 4096, 32 * 128, 32000, false, "meta-llama/Llama-2-7b-hf",
     "huggingface.co/philschmid/Llama-2-7b-hf commit 5cf88ec config.json (_name_or_path "
     "meta-llama/Llama-2-7b-hf)"},
    {"Llama 3.1 8B", 8.030e9, 32, 4096, 8 * 128, 128256, false, "meta-llama/Llama-3.1-8B",
     "huggingface.co/NbAiLab/nb-llama-3.1-8B/blob/main/config.json (_name_or_path "
     "meta-llama/Llama-3.1-8B)"},
    {"Qwen2.5 7B", 7.616e9, 28, 3584, 4 * 128, 152064, false, "Qwen/Qwen2.5-7B-Instruct",
     "huggingface.co/osllmai-community/Qwen2.5-7B-Instruct/blob/main/config.json "
     "(_name_or_path Qwen/Qwen2.5-7B-Instruct)"},
    // Gemma configs leave tie_word_embeddings at the class default (true).
    {"Gemma 2 2B", 2.614e9, 26, 2304, 4 * 256, 256000, true, "google/gemma-2-2b-it",
     "huggingface.co/ModelSpace/GemmaX2-28-2B-Pretrain/blob/main/config.json (continued "
     "pretraining of Gemma2-2B, same dimensions)"},
    {"Gemma 2 9B", 9.242e9, 42, 3584, 8 * 256, 256000, true, "google/gemma-2-9b-it",
     "huggingface.co/thejaminator/gemma-hook-layer-0-step-2000 commit 33738e3 config.json "
     "(\"Copy config.json from google/gemma-2-9b-it\")"},
    // Gemma 1 2B: multi-query attention (one KV head).
    {"Gemma 2B", 2.506e9, 18, 2048, 1 * 256, 256000, true, "google/gemma-2b",
     "huggingface.co/muhammadfiaz/gemma-2b-it commit 717906e config.json (fork of "
     "google/gemma-2b-it); huggingface.co/MindonFire/gemma-2b config.json (_name_or_path "
     "google/gemma-2b)"},
    {"SmolLM2 (1.7B)", 1.711e9, 24, 2048, 32 * 64, 49152, true, "HuggingFaceTB/SmolLM2-1.7B",
     "huggingface.co/Sakalti/hamachi-1.7B commit 972a93f config.json (_name_or_path "
     "HuggingFaceTB/SmolLM2-1.7B); huggingface.co/puettmann/SmolMaestra-1.7b-Translation "
     "config.json (_name_or_path HuggingFaceTB/SmolLM2-1.7B-Instruct)"},
    {"Qwen2.5-Coder-1.5B-Instruct", 1.544e9, 28, 1536, 2 * 128, 151936, true,
     "Qwen/Qwen2.5-Coder-1.5B-Instruct",
     "huggingface.co/tmickleydoyle/Python-Code-Completer/blob/main/config.json "
     "(_name_or_path unsloth/qwen2.5-coder-1.5b-bnb-4bit: the base model, which the "
     "instruct model shares the dimensions with)"},
    {"SmolLM-135M", 0.1345e9, 30, 576, 3 * 64, 49152, true, "HuggingFaceTB/SmolLM-135M",
     "huggingface.co/HuggingFaceTB/SmolLM-135M-Instruct/blob/main/config.json "
     "(_name_or_path HuggingFaceTB/SmolLM-135M)"},
    {"SmolLM2-135M", 0.1345e9, 30, 576, 3 * 64, 49152, true, "HuggingFaceTB/SmolLM2-135M",
     "huggingface.co/Lawrence-K/SmolLM2-FT-Model/blob/main/config.json (_name_or_path "
     "HuggingFaceTB/SmolLM2-135M)"},
    // TeleChat2 3B: no GQA (24 KV heads of 3072 / 24 = 128), untied head. vocab_size is
    // unverified for the 3B: its config.json is not in the searchable copies; 131072 is the
    // TeleChat2-7B and -115B configs' value (huggingface.co/Tele-AI/TeleChat2-7B config.json).
    {"TeleChat2 3B", 3.070e9, 24, 3072, 24 * 128, 131072, false, "Tele-AI/TeleChat2-3B",
     "Tele-AI/TeleChat2 README.md, model structure table (3B: layer_num 24, hidden_size 3072, "
     "ffn_hidden_size 6144, head_num 24, tie_word_embeddings no, GQA no)"},
};

// Models the twin does not reproduce, and why (substring of the model name).
struct Unmodelled {
  const char* match;
  const char* reason;
};
constexpr Unmodelled kUnmodelled[] = {
    {"A3B", "mixture of experts: the active weights per token change with routing"},
    {"A570M", "mixture of experts: the active weights per token change with routing"},
    {"RWKV", "RWKV: a recurrent network, no attention layers or KV cache"},
    {"Qwen3.5", "Qwen3.5: hybrid Gated DeltaNet / attention layers"},
    {"LFM2", "LFM2: hybrid convolution / attention layers"},
    {"Gemma3n", "Gemma3n: per-layer embeddings and MatFormer, effective size differs from stored"},
    {"Gemma4", "Gemma4 E2B: per-layer embeddings, effective size differs from stored"},
    {"-VL", "vision-language model"},
    {"MiniCPM3", "MiniCPM3: multi-head latent attention (KV width is not heads x head_dim)"},
    {"MiniCPM4",
     "MiniCPM4 0.5B: config.json not in the searchable copies, architecture unverified"},
    {"unspecified", "model not named"},
};

// Bits per weight of a quantisation, with the block scales (llama.cpp's type sizes).
struct Quant {
  const char* match;  // substring of board-data.json's "quant"
  double bits;
};
constexpr Quant kQuants[] = {
    {"Q4_K_M", 4.85}, {"IQ4_XS", 4.25}, {"Q4_0", 4.5},  {"Q8_0", 8.5},
    {"Q2_K", 2.625},  {"F16", 16.0},    {"FP16", 16.0}, {"w8a8", 8.0},
    {"W4A16", 4.5},   {"q4f16", 4.5},   {"INT4", 4.5},  {"4-bit", 4.5},
};

// Where a run ran on its board: device, threads and CPUs for CPU runs, the power mode.
struct Placement {
  std::string device = "cpu";
  int threads = 1;
  CpuSet cpus;
  std::string powerMode;   // empty: the board file's
  double dramScale = 1.0;  // a mode's EMC cap
  std::string skip;
};

bool has(const std::string& s, const char* what) {
  return s.find(what) != std::string::npos;
}

Placement place(const std::string& board, const std::string& device) {
  Placement p;
  if (board == "rk3588") {
    if (has(device, "NPU")) {
      p.device = "npu";
    } else if (has(device, "4 threads (A76)")) {
      p.threads = 4;
      p.cpus = CpuSet::range(4, 7);  // both A76 pairs
    } else {
      p.skip = "device or threads not stated";
    }
  } else if (board == "rpi5") {
    if (has(device, "Pi 500")) {
      p.skip = "Raspberry Pi 500/500+: a different board (keyboard case, own cooling and supply)";
    } else {
      p.threads = 4;  // llama.cpp / Ollama default: one per core
      p.cpus = CpuSet::range(0, 3);
    }
  } else if (board == "jetson-orin-nano") {
    if (has(device, "original mode")) {
      // The pre-Super dev kit's default, the 15W mode ([nvp] ID 0): GPU 612 MHz, EMC 2133 of
      // 3199 MHz.
      p.powerMode = "15W";
      p.dramScale = 2133.0 / 3199.0;
    } else if (has(device, "25W") || has(device, "Super")) {
      p.powerMode = "MAXN_SUPER";
    }
    if (has(device, "GPU")) {
      p.device = "gpu";
    } else if (has(device, "CPU (6 threads)")) {
      p.threads = 6;
      p.cpus = CpuSet::range(0, 5);
    } else {
      p.skip = "device (CPU or GPU) not stated";
    }
  } else if (board == "jetson-agx-orin") {
    if (has(device, "32GB")) {
      p.skip = "AGX Orin 32GB module (14 SMs at 930 MHz): the board file is the 64GB module";
    } else if (has(device, "GPU")) {
      p.device = "gpu";
      if (has(device, "MAX-N")) p.powerMode = "MAXN";
    } else {
      p.skip = "device not stated";
    }
  } else {
    p.skip = "no placement rule for this board";
  }
  return p;
}

// A published figure: a number, a [min, max] range (its midpoint), or absent.
std::optional<double> figure(const rapidjson::Value& run, const char* key, bool* range) {
  if (!run.HasMember(key)) return std::nullopt;
  const rapidjson::Value& v = run[key];
  if (v.IsNumber()) return v.GetDouble();
  if (v.IsArray() && v.Size() == 2 && v[0].IsNumber() && v[1].IsNumber()) {
    if (range) *range = true;
    return 0.5 * (v[0].GetDouble() + v[1].GetDouble());
  }
  return std::nullopt;
}

std::string str(const rapidjson::Value& run, const char* key) {
  return run.HasMember(key) && run[key].IsString() ? run[key].GetString() : "";
}

struct Run {
  std::string board;  // board file name
  std::string model, quant, device, note;
  std::optional<double> pubTokS, pubPromptTokS, pubW;
  bool wallWatts = false;
  int promptTokens = kDefaultPromptTokens;
  int outputTokens = kDefaultOutputTokens;
  const ModelArch* arch = nullptr;
  double bits = 0.0;
  Placement where;
  // results
  double tokS = 0.0, promptTokS = 0.0, watts = 0.0;
};

struct Skipped {
  std::string board, model, device, reason;
};

// What the twin measures for one workload on a fresh twin of `spec`.
struct Measured {
  double tokS = 0.0;
  double promptTokS = 0.0;
  double watts = 0.0;  // top-level rails, real backends, mean over the decode
  bool ok = false;
};

Measured runOnTwin(BoardSpec spec, const LlmWorkloadSpec& w, double dramScale) {
  Measured m;
  test::TempDir dir;
  SimClock clock{0};
  SettingsJournal journal;
  if (spec.twin.dramBandwidthBps <= 0.0) spec.twin.dramBandwidthBps = spec.dramBandwidthBps;
  spec.twin.dramBandwidthBps *= dramScale;
  TwinOptions opt;
  opt.cpuGovernor = "performance";
  opt.devfreqGovernor = "performance";
  auto made = BoardTwin::create(spec, dir.path(), clock, opt);
  if (!made.ok()) {
    fprintf(stderr, "twin_validate: %s\n", made.error().message());
    return m;
  }
  BoardTwin& twin = *made.value();
  HalContext hal{twin.sysRoot(), clock, journal, twin};
  std::vector<std::unique_ptr<PowerMonitor>> monitors;
  for (const BoardRail& r : spec.rails) {
    if (!r.parent.empty()) continue;
    auto mon = createPowerMonitor(railMonitorSpec(r), hal);
    if (!mon.ok() || !mon.value()->init().ok()) {
      fprintf(stderr, "twin_validate: rail %s: no monitor\n", r.name.c_str());
      return m;
    }
    monitors.push_back(std::move(mon.value()));
  }
  twin.step(0.5);  // settle: first conversions
  auto id = twin.addWorkload(w);
  if (!id.ok()) {
    fprintf(stderr, "twin_validate: %s\n", id.error().message());
    return m;
  }
  double sumW = 0.0;
  int samples = 0;
  for (int i = 0; i < 600000 && twin.workload(id.value()).state == WorkloadState::Running; ++i) {
    twin.step(0.05);
    if (!twin.workload(id.value()).prefillDone) continue;
    double w8 = 0.0;
    bool valid = true;
    for (auto& mon : monitors) {
      mon->sample();
      bool any = false;
      for (int c = 0; c < mon->channelCount(); ++c) {
        if (!mon->last(c).valid) continue;
        w8 += mon->last(c).powerW;
        any = true;
      }
      valid = valid && any;
    }
    if (valid) {
      sumW += w8;
      ++samples;
    }
  }
  WorkloadStatus s = twin.workload(id.value());
  m.ok = s.state == WorkloadState::Done;
  m.tokS = s.tokensPerS;
  m.promptTokS = s.promptTokensPerS;
  m.watts = samples > 0 ? sumW / samples : 0.0;
  return m;
}

LlmWorkloadSpec workloadFor(const ModelArch& a, double bits, int prompt, int output,
                            const Placement& p) {
  LlmWorkloadSpec w;
  w.name = a.model;
  w.params = a.params - (a.tied ? 0.0 : static_cast<double>(a.vocab) * a.hidden);
  w.bitsPerWeight = bits;
  w.layers = a.layers;
  w.hiddenWidth = a.hidden;
  w.kvWidth = a.kvWidth;
  w.promptTokens = prompt;
  w.outputTokens = output;
  w.contextTokens = prompt + output;
  w.device = p.device;
  w.threads = p.threads;
  w.cpus = p.cpus;
  w.cgroup = "qeil/bench";
  return w;
}

double errorPct(double twin, double published) {
  return 100.0 * (twin - published) / published;
}

double median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

bool readFile(const std::string& path, std::string* out) {
  std::ifstream in(path);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

// Sorts one board's runs into reproducible ones and skipped ones.
void collect(const std::string& board, const rapidjson::Value& runs, std::vector<Run>* out,
             std::vector<Skipped>* skipped) {
  for (const rapidjson::Value& r : runs.GetArray()) {
    Run run;
    run.board = board;
    run.model = str(r, "model");
    run.quant = str(r, "quant");
    run.device = str(r, "device");
    bool range = false;
    run.pubTokS = figure(r, "tokens_per_s_gen", &range);
    run.pubPromptTokS = figure(r, "tokens_per_s_prompt", nullptr);
    run.pubW = figure(r, "watts", &range);
    run.wallWatts = has(str(r, "watts_kind"), "wall");
    if (range) run.note = "range: midpoint";
    if (r.HasMember("prompt_tokens") && r["prompt_tokens"].IsInt())
      run.promptTokens = r["prompt_tokens"].GetInt();
    if (r.HasMember("gen_tokens") && r["gen_tokens"].IsInt())
      run.outputTokens = r["gen_tokens"].GetInt();
    auto skip = [&](const std::string& why) {
      skipped->push_back({board, run.model, run.device, why});
    };
    if (!run.pubTokS && !run.pubPromptTokS) {
      skip("no rate published");
      continue;
    }
    std::string reason;
    for (const Unmodelled& u : kUnmodelled) {
      if (has(run.model, u.match) && reason.empty()) reason = u.reason;
    }
    for (const ModelArch& a : kModels) {
      if (run.model == a.model) run.arch = &a;
    }
    if (reason.empty() && !run.arch) reason = "architecture not in the bench's table";
    if (!reason.empty()) {
      skip(reason);
      continue;
    }
    for (const Quant& q : kQuants) {
      if (run.bits == 0.0 && has(run.quant, q.match)) run.bits = q.bits;
    }
    if (run.bits == 0.0) {
      skip("quantisation '" + run.quant + "' not stated as bits per weight");
      continue;
    }
    run.where = place(board, run.device);
    if (!run.where.skip.empty()) {
      skip(run.where.skip);
      continue;
    }
    out->push_back(run);
  }
}

void writeCsv(const std::string& dir, const std::vector<Run>& runs) {
  std::string path = dir + "/twin_validate.csv";
  FILE* f = fopen(path.c_str(), "w");
  if (!f) {
    fprintf(stderr, "twin_validate: cannot write %s\n", path.c_str());
    return;
  }
  fprintf(f,
          "board,model,quant,bits,device,published_tok_s,twin_tok_s,error_pct,"
          "published_w,twin_w,error_w_pct\n");
  for (const Run& r : runs) {
    fprintf(f, "%s,\"%s\",\"%s\",%.3f,\"%s\",", r.board.c_str(), r.model.c_str(), r.quant.c_str(),
            r.bits, r.device.c_str());
    if (r.pubTokS) {
      fprintf(f, "%.3f,%.3f,%.1f,", *r.pubTokS, r.tokS, errorPct(r.tokS, *r.pubTokS));
    } else {
      fprintf(f, ",%.3f,,", r.tokS);
    }
    if (r.pubW) {
      fprintf(f, "%.2f,%.2f,%.1f\n", *r.pubW, r.watts, errorPct(r.watts, *r.pubW));
    } else {
      fprintf(f, ",%.2f,\n", r.watts);
    }
  }
  fclose(f);
}

// llama.cpp on the RK3588: 4 threads on the A76 pairs against 8 threads on every core, same
// model (Llama 3.2 3B, Q4_K_M).
bool eightVsFour(const BoardSpec& spec, double* four, double* eight) {
  const ModelArch* arch = nullptr;
  for (const ModelArch& a : kModels) {
    if (std::strcmp(a.model, "Llama 3.2 3B") == 0) arch = &a;
  }
  Placement p;
  p.threads = 4;
  p.cpus = CpuSet::range(4, 7);
  Measured m4 = runOnTwin(spec, workloadFor(*arch, 4.85, 32, 32, p), 1.0);
  p.threads = 8;
  p.cpus = CpuSet::range(0, 7);
  Measured m8 = runOnTwin(spec, workloadFor(*arch, 4.85, 32, 32, p), 1.0);
  *four = m4.tokS;
  *eight = m8.tokS;
  return m4.ok && m8.ok;
}

}  // namespace
}  // namespace qeil

int main(int argc, char** argv) {
  using namespace qeil;
  bench::BenchArgs args = bench::parseBenchArgs(&argc, argv);
  std::string dataPath = bench::sharedDataPath("boards/board-data.json");
  bool defaultData = true;
  std::string onlyBoard;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
      dataPath = argv[++i];
      defaultData = false;
    } else if (std::strcmp(argv[i], "--board") == 0 && i + 1 < argc) {
      onlyBoard = argv[++i];
    } else {
      fprintf(stderr,
              "usage: twin_validate [--short] [--results DIR] [--data FILE] [--board NAME]\n");
      return 2;
    }
  }
  std::string text;
  if (defaultData && access(dataPath.c_str(), F_OK) != 0)
    return bench::skipForMissingData("twin_validate", dataPath);
  if (!readFile(dataPath, &text)) {
    fprintf(stderr, "twin_validate: cannot read %s\n", dataPath.c_str());
    return 1;
  }
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("boards")) {
    fprintf(stderr, "twin_validate: %s: %s at offset %zu\n", dataPath.c_str(),
            rapidjson::GetParseError_En(doc.GetParseError()), doc.GetErrorOffset());
    return 1;
  }
  std::vector<Run> runs;
  std::vector<Skipped> skipped;
  int otherBoards = 0;
  for (auto& b : doc["boards"].GetObject()) {
    std::string key = b.name.GetString();
    if (!b.value.HasMember("llm_runs") || !b.value["llm_runs"].IsArray()) continue;
    if (key == "other_arm_reference") {
      otherBoards += static_cast<int>(b.value["llm_runs"].Size());
      continue;
    }
    std::string file;
    for (const BoardFile& f : kBoards) {
      if (key == f.dataKey) file = f.file;
    }
    if (!onlyBoard.empty() && file != onlyBoard) continue;
    if (file.empty()) {
      for (const rapidjson::Value& r : b.value["llm_runs"].GetArray())
        skipped.push_back({key, str(r, "model"), str(r, "device"), "no board file"});
      continue;
    }
    collect(file, b.value["llm_runs"], &runs, &skipped);
  }
  if (args.shortMode && runs.size() > 3) runs.resize(3);

  std::vector<double> tokErr, wErr, promptErr;
  std::vector<std::string> boardsSeen;
  printf("%-16s %-28s %-22s %-40s %8s %8s %7s %6s %6s %7s  %s\n", "board", "model", "quant",
         "device", "pub t/s", "twin t/s", "err %", "pub W", "twin W", "err %", "note");
  std::map<std::string, BoardSpec> boards;  // each board file loaded and validated once
  for (Run& r : runs) {
    if (boards.count(r.board) == 0) {
      auto loaded =
          loadBoardFile(std::string(QEIL_SOURCE_DIR "/board-configs/") + r.board + ".cfg");
      if (!loaded.ok()) {
        fprintf(stderr, "twin_validate: %s\n", loaded.error().message());
        return 1;
      }
      boards.emplace(r.board, loaded.value());
    }
    BoardSpec spec = boards.at(r.board);
    if (!r.where.powerMode.empty()) spec.powerMode = r.where.powerMode;
    Measured m =
        runOnTwin(spec, workloadFor(*r.arch, r.bits, r.promptTokens, r.outputTokens, r.where),
                  r.where.dramScale);
    if (!m.ok) {
      fprintf(stderr, "twin_validate: %s on %s did not complete\n", r.model.c_str(),
              r.board.c_str());
      return 1;
    }
    r.tokS = m.tokS;
    r.promptTokS = m.promptTokS;
    r.watts = r.wallWatts ? m.watts / kPsuEfficiency : m.watts;
    if (std::find(boardsSeen.begin(), boardsSeen.end(), r.board) == boardsSeen.end())
      boardsSeen.push_back(r.board);
    char pubT[16] = "-", errT[16] = "-", pubW[16] = "-", errW[16] = "-";
    if (r.pubTokS) {
      snprintf(pubT, sizeof pubT, "%.2f", *r.pubTokS);
      snprintf(errT, sizeof errT, "%+.0f", errorPct(r.tokS, *r.pubTokS));
      tokErr.push_back(std::fabs(errorPct(r.tokS, *r.pubTokS)));
    }
    if (r.pubW) {
      snprintf(pubW, sizeof pubW, "%.1f", *r.pubW);
      snprintf(errW, sizeof errW, "%+.0f", errorPct(r.watts, *r.pubW));
      wErr.push_back(std::fabs(errorPct(r.watts, *r.pubW)));
    }
    std::string note = r.note;
    if (r.pubPromptTokS) {
      char buf[64];
      snprintf(buf, sizeof buf, "%sprefill %.1f vs %.1f t/s", note.empty() ? "" : "; ",
               *r.pubPromptTokS, r.promptTokS);
      note += buf;
      promptErr.push_back(std::fabs(errorPct(r.promptTokS, *r.pubPromptTokS)));
    }
    if (r.wallWatts) note += note.empty() ? "wall W" : "; wall W";
    printf("%-16s %-28.28s %-22.22s %-40.40s %8s %8.2f %7s %6s %6.1f %7s  %s\n", r.board.c_str(),
           r.model.c_str(), r.quant.c_str(), r.device.c_str(), pubT, r.tokS, errT, pubW, r.watts,
           errW, note.c_str());
    fflush(stdout);
  }
  printf("\nskipped (%zu runs; %d more on other boards in other_arm_reference):\n", skipped.size(),
         otherBoards);
  for (const Skipped& s : skipped)
    printf("  %-18s %-34.34s %-36.36s %s\n", s.board.c_str(), s.model.c_str(), s.device.c_str(),
           s.reason.c_str());

  bench::Report report("twin_validate");
  report.info("runs reproduced", static_cast<double>(runs.size()), "runs");
  report.info("runs skipped", static_cast<double>(skipped.size()), "runs");
  report.info("boards with runs", static_cast<double>(boardsSeen.size()), "boards");
  double mt = median(tokErr);
  double mw = median(wErr);
  report.target("median |error| decode tokens/s", mt, "%", "<= 20 %", mt <= 20.0);
  if (!wErr.empty()) {
    report.target("median |error| watts (where published)", mw, "%", "<= 20 %", mw <= 20.0);
  }
  report.info("runs with published watts", static_cast<double>(wErr.size()), "runs");
  if (!promptErr.empty())
    report.info("median |error| prefill tokens/s (no target)", median(promptErr), "%");
  if (onlyBoard.empty() || onlyBoard == "rk3588") {
    auto rk = loadBoardFile(QEIL_SOURCE_DIR "/board-configs/rk3588.cfg");
    double four = 0.0, eight = 0.0;
    if (!rk.ok() || !eightVsFour(rk.value(), &four, &eight)) {
      fprintf(stderr, "twin_validate: the RK3588 thread comparison did not run\n");
      return 1;
    }
    report.info("rk3588 Llama 3.2 3B Q4_K_M, 4 threads on the A76", four, "tok/s");
    report.info("rk3588 Llama 3.2 3B Q4_K_M, 8 threads on all cores", eight, "tok/s");
    report.target("8 threads slower than 4 A76", eight < four ? 1 : 0, "bool", "1", eight < four);
  }
  report.print();
  if (!args.resultsDir.empty()) {
    if (!report.writeJson(args.resultsDir)) return 1;
    writeCsv(args.resultsDir, runs);
  }
  return 0;
}
