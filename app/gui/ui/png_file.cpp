#include "app/gui/ui/png_file.h"

#include <stdexcept>

#include <stb_image_write.h>

#include "trace/atomic_file.h"

namespace kvscope::gui {

void write_png(const std::string& path, const std::vector<uint8_t>& rgba, int width, int height) {
  if (width <= 0 || height <= 0) throw std::runtime_error("cannot save " + path + ": the view has no pixels");
  std::string bytes;
  auto append = [](void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<size_t>(size));
  };
  if (!stbi_write_png_to_func(append, &bytes, width, height, 4, rgba.data(), width * 4))
    throw std::runtime_error("cannot encode " + path + " as PNG");
  trace::write_file_atomically(path, bytes);
}

}  // namespace kvscope::gui
