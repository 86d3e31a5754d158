#pragma once
// The GLFW window with an OpenGL 3 context and Dear ImGui on it.
#include <cstdint>
#include <string>
#include <vector>

struct GLFWwindow;

namespace kvscope::gui {

class AppWindow {
 public:
  // Throws std::runtime_error when there is no display or no OpenGL 3.
  AppWindow(int width, int height, const std::string& title);
  ~AppWindow();
  AppWindow(const AppWindow&) = delete;
  AppWindow& operator=(const AppWindow&) = delete;

  bool should_close() const;
  float content_scale() const;  // the monitor's, so text stays readable on high-DPI screens
  void begin_frame();
  void render();  // draws ImGui's frame into the back buffer
  void present();
  // RGBA rows, top row first, of a region of the back buffer in window pixels (clipped to the framebuffer).
  std::vector<uint8_t> read_pixels(int x, int y, int& width, int& height) const;
  double time() const;
  // Asks for a new client size; the frames after it see the new size in ImGui's DisplaySize.
  void resize(int width, int height);

 private:
  GLFWwindow* window_ = nullptr;
};

}  // namespace kvscope::gui
