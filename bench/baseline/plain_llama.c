// The plain-loop baseline kvscope's decode is measured against (bench/bench_decode.cpp): a whole LLaMA in one C
// file, in llama2.c's run.c design — a config, a weights struct pointing into the checkpoint, a run state, one
// forward that reads top to bottom — with row-by-row dot products in plain loops. Built by the bench with -O3
// -march=native (and again with -Ofast, and with OpenMP over output rows); never part of kvscope.
//
//   plain_llama CHECKPOINT NEW_TOKENS ID...   reads a llama2.c legacy float32 checkpoint, feeds the prompt ids one
//   position at a time, generates NEW_TOKENS greedily, and prints "tokens ID..." and "seconds S" (the generation,
//   loading aside) on standard output.
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  int dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len;
} Config;

typedef struct {
  const float *embed, *rms_att, *wq, *wk, *wv, *wo, *rms_ffn, *w1, *w2, *w3, *rms_final, *wcls;
} Weights;

typedef struct {
  float *x, *xb, *xb2, *hb, *hb2, *q, *att, *logits, *key_cache, *value_cache;
  float *rope_cos, *rope_sin;  // [seq_len, head_size / 2]
} RunState;

static void die(const char* what) {
  fprintf(stderr, "plain_llama: %s\n", what);
  exit(1);
}

static void* zalloc(size_t n) {
  void* p = calloc(n, sizeof(float));
  if (!p) die("out of memory");
  return p;
}

static void rmsnorm(float* out, const float* x, const float* w, int n) {
  float ss = 0.0f;
  for (int i = 0; i < n; i++) ss += x[i] * x[i];
  const float scale = 1.0f / sqrtf(ss / n + 1e-5f);
  for (int i = 0; i < n; i++) out[i] = x[i] * scale * w[i];
}

// out[d] = W[d, n] x[n], one dot product per row.
static void matmul(float* out, const float* x, const float* w, int n, int d) {
#pragma omp parallel for
  for (int i = 0; i < d; i++) {
    float val = 0.0f;
    for (int j = 0; j < n; j++) val += w[(size_t)i * n + j] * x[j];
    out[i] = val;
  }
}

static void softmax(float* x, int n) {
  float max = x[0];
  for (int i = 1; i < n; i++)
    if (x[i] > max) max = x[i];
  float sum = 0.0f;
  for (int i = 0; i < n; i++) {
    x[i] = expf(x[i] - max);
    sum += x[i];
  }
  for (int i = 0; i < n; i++) x[i] /= sum;
}

// llama2.c's rotary embedding: pairs (2i, 2i + 1) of each head, the checkpoint's q and k rows interleaved so.
static void rope(float* v, int n, int head_size, const RunState* s, int pos) {
  const int half = head_size / 2;
  for (int i = 0; i < n; i += 2) {
    const int k = (i % head_size) / 2;
    const float c = s->rope_cos[pos * half + k], sn = s->rope_sin[pos * half + k];
    const float a = v[i], b = v[i + 1];
    v[i] = a * c - b * sn;
    v[i + 1] = a * sn + b * c;
  }
}

static const float* forward(const Config* p, const Weights* w, RunState* s, int token, int pos) {
  const int dim = p->dim, hd = dim / p->n_heads, kv_dim = p->n_kv_heads * hd, groups = p->n_heads / p->n_kv_heads;
  memcpy(s->x, w->embed + (size_t)token * dim, dim * sizeof(float));
  for (int l = 0; l < p->n_layers; l++) {
    rmsnorm(s->xb, s->x, w->rms_att + (size_t)l * dim, dim);
    float* k = s->key_cache + ((size_t)l * p->seq_len + pos) * kv_dim;
    float* v = s->value_cache + ((size_t)l * p->seq_len + pos) * kv_dim;
    matmul(s->q, s->xb, w->wq + (size_t)l * dim * dim, dim, dim);
    matmul(k, s->xb, w->wk + (size_t)l * dim * kv_dim, dim, kv_dim);
    matmul(v, s->xb, w->wv + (size_t)l * dim * kv_dim, dim, kv_dim);
    rope(s->q, dim, hd, s, pos);
    rope(k, kv_dim, hd, s, pos);
    for (int h = 0; h < p->n_heads; h++) {
      const float* q = s->q + h * hd;
      float* att = s->att + (size_t)h * p->seq_len;
      for (int t = 0; t <= pos; t++) {
        const float* kt = s->key_cache + ((size_t)l * p->seq_len + t) * kv_dim + (h / groups) * hd;
        float score = 0.0f;
        for (int i = 0; i < hd; i++) score += q[i] * kt[i];
        att[t] = score / sqrtf((float)hd);
      }
      softmax(att, pos + 1);
      float* out = s->xb + h * hd;
      memset(out, 0, hd * sizeof(float));
      for (int t = 0; t <= pos; t++) {
        const float* vt = s->value_cache + ((size_t)l * p->seq_len + t) * kv_dim + (h / groups) * hd;
        for (int i = 0; i < hd; i++) out[i] += att[t] * vt[i];
      }
    }
    matmul(s->xb2, s->xb, w->wo + (size_t)l * dim * dim, dim, dim);
    for (int i = 0; i < dim; i++) s->x[i] += s->xb2[i];
    rmsnorm(s->xb, s->x, w->rms_ffn + (size_t)l * dim, dim);
    matmul(s->hb, s->xb, w->w1 + (size_t)l * dim * p->hidden_dim, dim, p->hidden_dim);
    matmul(s->hb2, s->xb, w->w3 + (size_t)l * dim * p->hidden_dim, dim, p->hidden_dim);
    for (int i = 0; i < p->hidden_dim; i++) {
      const float g = s->hb[i];
      s->hb[i] = g / (1.0f + expf(-g)) * s->hb2[i];
    }
    matmul(s->xb, s->hb, w->w2 + (size_t)l * p->hidden_dim * dim, p->hidden_dim, dim);
    for (int i = 0; i < dim; i++) s->x[i] += s->xb[i];
  }
  rmsnorm(s->x, s->x, w->rms_final, dim);
  matmul(s->logits, s->x, w->wcls, dim, p->vocab_size);
  return s->logits;
}

static int argmax(const float* v, int n) {
  int best = 0;
  for (int i = 1; i < n; i++)
    if (v[i] > v[best]) best = i;
  return best;
}

int main(int argc, char** argv) {
  if (argc < 4) die("usage: plain_llama CHECKPOINT NEW_TOKENS ID...");
  const int fd = open(argv[1], O_RDONLY);
  if (fd < 0) die("cannot open the checkpoint");
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof(Config)) die("checkpoint too short");
  const char* map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (map == MAP_FAILED) die("cannot map the checkpoint");
  Config p;
  memcpy(&p, map, sizeof p);
  const int shared = p.vocab_size > 0;
  p.vocab_size = abs(p.vocab_size);
  const int hd = p.dim / p.n_heads, kv_dim = p.n_kv_heads * hd;
  const size_t L = (size_t)p.n_layers;
  Weights w;
  const float* f = (const float*)(map + sizeof(Config));
  w.embed = f;
  f += (size_t)p.vocab_size * p.dim;
  w.rms_att = f;
  f += L * p.dim;
  w.wq = f;
  f += L * p.dim * p.dim;
  w.wk = f;
  f += L * p.dim * kv_dim;
  w.wv = f;
  f += L * p.dim * kv_dim;
  w.wo = f;
  f += L * p.dim * p.dim;
  w.rms_ffn = f;
  f += L * p.dim;
  w.w1 = f;
  f += L * p.dim * p.hidden_dim;
  w.w2 = f;
  f += L * p.hidden_dim * p.dim;
  w.w3 = f;
  f += L * p.dim * p.hidden_dim;
  w.rms_final = f;
  f += p.dim;
  f += (size_t)p.seq_len * hd;  // the file's freq_cis tables: computed below as kvscope computes them
  w.wcls = shared ? w.embed : f;
  if ((const char*)(shared ? f : f + (size_t)p.vocab_size * p.dim) > map + st.st_size) die("checkpoint truncated");

  RunState s;
  s.x = zalloc(p.dim);
  s.xb = zalloc(p.dim);
  s.xb2 = zalloc(p.dim);
  s.hb = zalloc(p.hidden_dim);
  s.hb2 = zalloc(p.hidden_dim);
  s.q = zalloc(p.dim);
  s.att = zalloc((size_t)p.n_heads * p.seq_len);
  s.logits = zalloc(p.vocab_size);
  s.key_cache = zalloc(L * p.seq_len * kv_dim);
  s.value_cache = zalloc(L * p.seq_len * kv_dim);
  s.rope_cos = zalloc((size_t)p.seq_len * hd / 2);
  s.rope_sin = zalloc((size_t)p.seq_len * hd / 2);
  for (int i = 0; i < hd / 2; i++) {
    const float inv_freq = (float)(1.0 / pow(10000.0, (double)((float)(2 * i) / (float)hd)));
    for (int pos = 0; pos < p.seq_len; pos++) {
      const float angle = (float)pos * inv_freq;
      s.rope_cos[pos * (hd / 2) + i] = cosf(angle);
      s.rope_sin[pos * (hd / 2) + i] = sinf(angle);
    }
  }

  const int new_tokens = atoi(argv[2]), prompt_len = argc - 3;
  const int total = prompt_len + new_tokens;
  if (new_tokens < 1 || total - 1 > p.seq_len) die("NEW_TOKENS must be at least 1 and fit the positions");
  int* tokens = malloc(sizeof(int) * (size_t)total);
  for (int i = 0; i < prompt_len; i++) tokens[i] = atoi(argv[3 + i]);

  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int pos = 0; pos + 1 < total; pos++) {
    const float* logits = forward(&p, &w, &s, tokens[pos], pos);
    if (pos + 1 >= prompt_len) tokens[pos + 1] = argmax(logits, p.vocab_size);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);

  printf("tokens");
  for (int i = 0; i < total; i++) printf(" %d", tokens[i]);
  printf("\nseconds %.6f\n", (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
  return 0;
}
