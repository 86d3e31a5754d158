#include "app/gui/ui/app_window.h"

#include <algorithm>
#include <stdexcept>

#include <GLFW/glfw3.h>
#include <imgui.h>
#include <imgui_impl_glfw.h>
#include <imgui_impl_opengl3.h>

namespace kvscope::gui {

namespace {
void on_glfw_error(int code, const char* text) {
  (void)code;
  (void)text;  // reported through the exception of the call that failed
}
}  // namespace

AppWindow::AppWindow(int width, int height, const std::string& title) {
  glfwSetErrorCallback(on_glfw_error);
  if (!glfwInit())
    throw std::runtime_error("cannot open a window: GLFW found no display (run under xvfb-run -a for headless use)");
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
  window_ = glfwCreateWindow(width, height, title.c_str(), nullptr, nullptr);
  if (!window_) {
    glfwTerminate();
    throw std::runtime_error("cannot open a window: no OpenGL 3 context");
  }
  glfwMakeContextCurrent(window_);
  glfwSwapInterval(1);
  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGui::GetIO().IniFilename = nullptr;  // the layout is computed each frame; nothing to remember
  ImGui::StyleColorsLight();
  ImGui_ImplGlfw_InitForOpenGL(window_, true);
  ImGui_ImplOpenGL3_Init("#version 130");
}

AppWindow::~AppWindow() {
  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
  glfwDestroyWindow(window_);
  glfwTerminate();
}

bool AppWindow::should_close() const { return glfwWindowShouldClose(window_); }

float AppWindow::content_scale() const {
  float x = 1, y = 1;
  glfwGetWindowContentScale(window_, &x, &y);
  return std::max(1.0f, std::max(x, y));
}

void AppWindow::begin_frame() {
  glfwPollEvents();
  ImGui_ImplOpenGL3_NewFrame();
  ImGui_ImplGlfw_NewFrame();
  ImGui::NewFrame();
}

void AppWindow::render() {
  ImGui::Render();
  int w = 0, h = 0;
  glfwGetFramebufferSize(window_, &w, &h);
  glViewport(0, 0, w, h);
  glClearColor(0.94f, 0.94f, 0.94f, 1.0f);
  glClear(GL_COLOR_BUFFER_BIT);
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
}

void AppWindow::present() { glfwSwapBuffers(window_); }

std::vector<uint8_t> AppWindow::read_pixels(int x, int y, int& width, int& height) const {
  int fw = 0, fh = 0, ww = 0, wh = 0;
  glfwGetFramebufferSize(window_, &fw, &fh);
  glfwGetWindowSize(window_, &ww, &wh);
  const float sx = ww > 0 ? static_cast<float>(fw) / ww : 1.0f, sy = wh > 0 ? static_cast<float>(fh) / wh : 1.0f;
  int x0 = std::clamp(static_cast<int>(x * sx), 0, fw), y0 = std::clamp(static_cast<int>(y * sy), 0, fh);
  int x1 = std::clamp(static_cast<int>((x + width) * sx), 0, fw),
      y1 = std::clamp(static_cast<int>((y + height) * sy), 0, fh);
  width = x1 - x0;
  height = y1 - y0;
  std::vector<uint8_t> flipped(static_cast<size_t>(width) * height * 4);
  if (flipped.empty()) return flipped;
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadBuffer(GL_BACK);
  glReadPixels(x0, fh - y1, width, height, GL_RGBA, GL_UNSIGNED_BYTE, flipped.data());
  std::vector<uint8_t> rows(flipped.size());
  const size_t stride = static_cast<size_t>(width) * 4;
  for (int r = 0; r < height; ++r)
    std::copy_n(flipped.data() + static_cast<size_t>(height - 1 - r) * stride, stride, rows.data() + r * stride);
  // The default framebuffer's alpha is whatever the driver left; a screenshot is opaque.
  for (size_t i = 3; i < rows.size(); i += 4) rows[i] = 255;
  return rows;
}

double AppWindow::time() const { return glfwGetTime(); }

void AppWindow::resize(int width, int height) {
  glfwSetWindowSize(window_, width, height);
  // Under a window manager the new size arrives with the next events; without one (Xvfb) it is immediate.
  glfwPollEvents();
}

}  // namespace kvscope::gui
