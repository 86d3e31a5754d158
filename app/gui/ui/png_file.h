#pragma once
// PNG files of the framebuffer, written atomically (stb_image_write).
#include <cstdint>
#include <string>
#include <vector>

namespace kvscope::gui {

// Throws std::runtime_error naming the path when encoding or writing fails.
void write_png(const std::string& path, const std::vector<uint8_t>& rgba, int width, int height);

}  // namespace kvscope::gui
