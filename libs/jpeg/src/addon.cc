// Training-input JPEG decoding for Node (plain N-API) through libjpeg-turbo's libjpeg API, doing
// only the work one random crop needs: DCT scaling (m/8, down to 1/8) as far as the crop stays
// 1.25x the output size, jpeg_crop_scanline for the crop's columns, jpeg_skip_scanlines for the rows
// above it, and no reading past its last row. The crop is then resized with a separable bicubic
// (Catmull-Rom, a = -0.5, widened by the reduction factor when shrinking, as libvips' "cubic"),
// optionally mirrored, and written as uint8 HWC or, through a 256-entry-per-channel table, as
// normalised float32 straight into the caller's batch.
//
// decodeCrop(bytes, box Int32Array[top, left, height, width], outH, outW, flip, channels,
//            out Uint8Array | Float32Array, offset (elements), lut Float32Array | null, maxSide,
//            maxPixels) -> 0 done, 1 deferred (CMYK/YCCK or an ICC profile: the caller uses sharp).
// Errors are thrown with `code`: CORRUPT (libjpeg error or warning: truncated data counts), LIMIT
// (header larger than maxSide / maxPixels, checked before anything of the picture's size is
// allocated), ARGS. libjpeg's error_exit longjmps back here: it never aborts the process.
#include <node_api.h>

#include <csetjmp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include <jpeglib.h>
}

namespace {

struct ErrorManager {
  jpeg_error_mgr pub;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void onError(j_common_ptr cinfo) {
  auto *err = reinterpret_cast<ErrorManager *>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  longjmp(err->jump, 1);
}

// Warnings (msg_level -1: "Premature end of JPEG file", corrupt entropy data) are errors here, as
// they are for sharp with failOn: 'error' on the fallback path: a damaged picture fails its record.
void onMessage(j_common_ptr cinfo, int level) {
  if (level < 0) onError(cinfo);
}

// Catmull-Rom (Keys a = -0.5), the cubic of libvips' reduce and PIL's BICUBIC.
inline double cubic(double x) {
  x = std::fabs(x);
  if (x < 1) return (1.5 * x - 2.5) * x * x + 1;
  if (x < 2) return ((-0.5 * x + 2.5) * x - 4) * x + 2;
  return 0;
}

// Weights of one axis: output i reads `taps` inputs from first[i], clamped to [lo, hi).
struct Axis {
  int taps = 0;
  std::vector<int> first;
  std::vector<int> count;  // taps of output i up to its last non-zero weight
  std::vector<float> weights;
};

// Source coordinates: pixel centres, output i sits at start + (i + 0.5) * scale - 0.5 where
// start..start + length is the crop (in decoded-picture pixels, possibly fractional after DCT scaling).
void makeAxis(Axis &a, int out, double start, double length, int lo, int hi) {
  const double scale = length / out;
  const double widen = scale > 1 ? scale : 1;
  const double support = 2 * widen;
  a.taps = static_cast<int>(std::ceil(2 * support)) + 1;
  a.first.assign(out, 0);
  a.count.assign(out, 0);
  a.weights.assign(static_cast<size_t>(out) * a.taps, 0.f);
  std::vector<double> w, folded;
  for (int i = 0; i < out; i++) {
    const double centre = start + (i + 0.5) * scale - 0.5;
    const int f = static_cast<int>(std::floor(centre - support)) + 1;
    double sum = 0;
    w.assign(a.taps, 0);
    for (int t = 0; t < a.taps; t++) {
      w[t] = cubic((f + t - centre) / widen);
      sum += w[t];
    }
    // Taps that fall outside [lo, hi) are folded onto the edge pixel (edge extension).
    folded.assign(a.taps, 0);
    int minIdx = hi;
    for (int t = 0; t < a.taps; t++) minIdx = std::min(minIdx, std::max(lo, std::min(hi - 1, f + t)));
    for (int t = 0; t < a.taps; t++) {
      int s = f + t;
      s = s < lo ? lo : (s >= hi ? hi - 1 : s);
      folded[s - minIdx] += w[t] / sum;
    }
    a.first[i] = minIdx;
    for (int t = 0; t < a.taps; t++) {
      a.weights[static_cast<size_t>(i) * a.taps + t] = static_cast<float>(folded[t]);
      if (folded[t] != 0) a.count[i] = t + 1;
    }
  }
}

typedef float v4 __attribute__((vector_size(16)));

struct Throw {
  const char *code;
  std::string message;
};

struct Job {
  const unsigned char *bytes;
  size_t length;
  int top, left, height, width, outH, outW, channels;
  bool flip;
  unsigned char *outU8;
  float *outF32;
  const float *lut;
  double maxSide, maxPixels;
};

// Per-thread scratch, reused across pictures (the input pool calls from a few worker threads).
thread_local std::vector<unsigned char> rowBuffer;
thread_local std::vector<float> rows;
thread_local std::vector<float> acc;
thread_local std::vector<float> rowFloat;
thread_local Axis ax, ay;

// Everything that touches libjpeg; returns 0 / 1 or fills `t` and returns -1. No C++ objects with
// destructors live in this frame across setjmp (the scratch is thread_local).
int decode(const Job &j, Throw &t, jpeg_decompress_struct &cinfo, ErrorManager &err) {
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = onError;
  err.pub.emit_message = onMessage;
  if (setjmp(err.jump)) {
    t = {"CORRUPT", err.message};
    return -1;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, j.bytes, static_cast<unsigned long>(j.length));
  jpeg_save_markers(&cinfo, JPEG_APP0 + 2, 0xffff);
  jpeg_read_header(&cinfo, TRUE);
  const double W = cinfo.image_width, H = cinfo.image_height;
  if (W > j.maxSide || H > j.maxSide || W * H > j.maxPixels) {
    t = {"LIMIT", std::to_string(cinfo.image_width) + "x" + std::to_string(cinfo.image_height)};
    return -1;
  }
  for (jpeg_saved_marker_ptr m = cinfo.marker_list; m; m = m->next)
    if (m->marker == JPEG_APP0 + 2 && m->data_length >= 12 && std::memcmp(m->data, "ICC_PROFILE", 11) == 0) return 1;
  if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) return 1;
  if (j.left + j.width > W || j.top + j.height > H) {
    t = {"ARGS", "crop outside the picture"};
    return -1;
  }
  cinfo.out_color_space = j.channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  const double shrink = std::min(j.width / static_cast<double>(j.outW), j.height / static_cast<double>(j.outH));
  // DCT scaling by m/8 (libjpeg-turbo's scaled inverse DCTs, m = 1..8; m = 4, 2, 1 are the classic
  // 1/2, 1/4, 1/8): the smallest m that leaves the crop at least 1.25x the output, so the bicubic
  // after it still low-passes what the block-wise scaled IDCT lets through (measured: mean
  // difference to sharp's full decode + resize 0.9 levels instead of 1.2 at exactly 1x).
  int m = static_cast<int>(std::ceil(8 * 1.25 / shrink - 1e-9));
  cinfo.scale_num = m < 1 ? 1 : (m > 8 ? 8 : m);
  cinfo.scale_denom = 8;
  jpeg_start_decompress(&cinfo);
  const int C = cinfo.output_components;  // == j.channels
  // The crop in decoded pixels, and the whole pixels it touches.
  const double x0f = j.left * (cinfo.output_width / W), y0f = j.top * (cinfo.output_height / H);
  const double wf = j.width * (cinfo.output_width / W), hf = j.height * (cinfo.output_height / H);
  const int x0 = static_cast<int>(std::floor(x0f)), y0 = static_cast<int>(std::floor(y0f));
  const int x1 = std::min<int>(cinfo.output_width, static_cast<int>(std::ceil(x0f + wf)));
  const int y1 = std::min<int>(cinfo.output_height, static_cast<int>(std::ceil(y0f + hf)));
  JDIMENSION xoff = x0, cw = x1 - x0;
  jpeg_crop_scanline(&cinfo, &xoff, &cw);  // widens to an iMCU boundary: xoff <= x0
  makeAxis(ax, j.outW, x0f, wf, x0, x1);
  makeAxis(ay, j.outH, y0f, hf, y0, y1);
  if (y0 > 0) jpeg_skip_scanlines(&cinfo, y0);
  rowBuffer.resize(static_cast<size_t>(cw) * C);
  rowFloat.resize(static_cast<size_t>(cw) * C + 1);
  // Plain pointers: every touch of a thread_local in a shared object is a call (__tls_get_addr).
  unsigned char *const rb = rowBuffer.data();
  float *const fr = rowFloat.data();
  const Axis &h = ax, &v = ay;
  rows.resize(static_cast<size_t>(y1 - y0) * j.outW * C);
  float *const rowsData = rows.data();
  // Horizontal pass per scanline as it is read: [rows of the crop, outW, C] floats.
  for (int y = y0; y < y1; y++) {
    JSAMPROW row = rb;
    if (jpeg_read_scanlines(&cinfo, &row, 1) != 1) {
      t = {"CORRUPT", "fewer scanlines than the header promised"};
      return -1;
    }
    float *dst = rowsData + static_cast<size_t>(y - y0) * j.outW * C;
    // Widen the scanline to floats once, so the taps below are plain multiply-adds.
    const size_t n = static_cast<size_t>(cw) * C;
    for (size_t q = 0; q < n; q++) fr[q] = rb[q];
    for (int i = 0; i < j.outW; i++) {
      const float *w = h.weights.data() + static_cast<size_t>(i) * h.taps;
      // The scanline starts at column xoff of the decoded picture.
      const float *s = fr + static_cast<size_t>(h.first[i] - static_cast<int>(xoff)) * C;
      const int taps = h.count[i];
      if (C == 3) {
        // One 4-wide multiply-add per tap on [r, g, b, next r] (the row has a float of slack).
        v4 sum = {0, 0, 0, 0};
        for (int k = 0; k < taps; k++) {
          v4 px;
          std::memcpy(&px, s + 3 * k, sizeof px);
          sum += w[k] * px;
        }
        dst[3 * i] = sum[0];
        dst[3 * i + 1] = sum[1];
        dst[3 * i + 2] = sum[2];
      } else {
        float v = 0;
        for (int k = 0; k < taps; k++) v += w[k] * s[k];
        dst[i] = v;
      }
    }
  }
  // Stop here: nothing below the crop is read (jpeg_finish_decompress would want every scanline).
  // Vertical pass, rounding to uint8 as the sharp path does, then mirror and write.
  const int rowLen = j.outW * C;
  acc.resize(rowLen);
  float *const accData = acc.data();
  for (int o = 0; o < j.outH; o++) {
    const float *w = v.weights.data() + static_cast<size_t>(o) * v.taps;
    const int taps = v.count[o];
    const float *base = rowsData + static_cast<size_t>(v.first[o] - y0) * rowLen;
    float *a = accData;
    // Row by row over whole rows (vectorises), not pixel by pixel down a column.
    for (int x = 0; x < rowLen; x++) a[x] = w[0] * base[x];
    for (int k = 1; k < taps; k++) {
      const float *p = base + static_cast<size_t>(k) * rowLen;
      const float wk = w[k];
      for (int x = 0; x < rowLen; x++) a[x] += wk * p[x];
    }
    for (int x = 0; x < j.outW; x++) {
      const int ox = j.flip ? j.outW - 1 - x : x;
      const size_t at = static_cast<size_t>(o) * rowLen + static_cast<size_t>(ox) * C;
      for (int c = 0; c < C; c++) {
        const float v = a[x * C + c];
        const int q = v <= 0 ? 0 : (v >= 255 ? 255 : static_cast<int>(v + 0.5f));
        if (j.outF32)
          j.outF32[at + c] = j.lut[c * 256 + q];
        else
          j.outU8[at + c] = static_cast<unsigned char>(q);
      }
    }
  }
  return 0;
}

napi_value fail(napi_env env, const char *code, const std::string &message) {
  napi_throw_error(env, code, message.c_str());
  return nullptr;
}

int32_t intArg(napi_env env, napi_value v) {
  int32_t x = 0;
  napi_get_value_int32(env, v, &x);
  return x;
}

napi_value DecodeCrop(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value argv[11];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 11) return fail(env, "ARGS", "decodeCrop takes 11 arguments");
  Job j{};
  napi_typedarray_type type;
  size_t length;
  void *data;
  napi_value ab;
  size_t byteOffset;
  if (napi_get_typedarray_info(env, argv[0], &type, &length, &data, &ab, &byteOffset) != napi_ok || type != napi_uint8_array)
    return fail(env, "ARGS", "bytes must be a Uint8Array");
  j.bytes = static_cast<const unsigned char *>(data);
  j.length = length;
  if (napi_get_typedarray_info(env, argv[1], &type, &length, &data, &ab, &byteOffset) != napi_ok || type != napi_int32_array || length != 4)
    return fail(env, "ARGS", "box must be an Int32Array [top, left, height, width]");
  const int32_t *box = static_cast<const int32_t *>(data);
  j.top = box[0];
  j.left = box[1];
  j.height = box[2];
  j.width = box[3];
  j.outH = intArg(env, argv[2]);
  j.outW = intArg(env, argv[3]);
  bool flip = false;
  napi_get_value_bool(env, argv[4], &flip);
  j.flip = flip;
  j.channels = intArg(env, argv[5]);
  if (j.top < 0 || j.left < 0 || j.height < 1 || j.width < 1 || j.outH < 1 || j.outW < 1 || j.outH > 8192 || j.outW > 8192 ||
      (j.channels != 1 && j.channels != 3))
    return fail(env, "ARGS", "bad crop, size or channels");
  if (napi_get_typedarray_info(env, argv[6], &type, &length, &data, &ab, &byteOffset) != napi_ok)
    return fail(env, "ARGS", "out must be a Uint8Array or Float32Array");
  const int64_t offset = intArg(env, argv[7]);
  const size_t need = static_cast<size_t>(j.outH) * j.outW * j.channels;
  if (offset < 0 || static_cast<size_t>(offset) + need > length) return fail(env, "ARGS", "out is too small for the picture at offset");
  napi_valuetype lutType;
  napi_typeof(env, argv[8], &lutType);
  if (type == napi_float32_array) {
    void *lutData;
    size_t lutLength;
    napi_typedarray_type lt;
    if (lutType != napi_object || napi_get_typedarray_info(env, argv[8], &lt, &lutLength, &lutData, &ab, &byteOffset) != napi_ok ||
        lt != napi_float32_array || lutLength < static_cast<size_t>(256 * j.channels))
      return fail(env, "ARGS", "a Float32Array out needs a Float32Array table of 256 values per channel");
    j.outF32 = static_cast<float *>(data) + offset;
    j.lut = static_cast<const float *>(lutData);
  } else if (type == napi_uint8_array) {
    j.outU8 = static_cast<unsigned char *>(data) + offset;
  } else {
    return fail(env, "ARGS", "out must be a Uint8Array or Float32Array");
  }
  napi_get_value_double(env, argv[9], &j.maxSide);
  napi_get_value_double(env, argv[10], &j.maxPixels);
  if (j.length == 0) return fail(env, "CORRUPT", "zero bytes");

  jpeg_decompress_struct cinfo;
  ErrorManager err;
  Throw t{};
  const int r = decode(j, t, cinfo, err);
  jpeg_destroy_decompress(&cinfo);
  if (r < 0) return fail(env, t.code, t.message);
  napi_value result;
  napi_create_int32(env, r, &result);
  return result;
}

napi_value Version(napi_env env, napi_callback_info) {
  napi_value v;
  const std::string s = "libjpeg API " + std::to_string(JPEG_LIB_VERSION)
#ifdef LIBJPEG_TURBO_VERSION_NUMBER
                        + ", libjpeg-turbo " + std::to_string(LIBJPEG_TURBO_VERSION_NUMBER)
#endif
      ;
  napi_create_string_utf8(env, s.c_str(), s.size(), &v);
  return v;
}

}  // namespace

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"decodeCrop", nullptr, DecodeCrop, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"version", nullptr, Version, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, 2, props);
  return exports;
}
