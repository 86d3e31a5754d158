# The desktop app's frame and layout times (needs a display: run it under xvfb-run -a).
add_executable(gui_frame_time ${CMAKE_CURRENT_LIST_DIR}/gui_frame_time.cpp)
target_link_libraries(gui_frame_time PRIVATE kvscope_gui_ui benchmark::benchmark)
