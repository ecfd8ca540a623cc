// `scoregen inpaint`: fill the unknown part of images (mask white = keep) or colorize grey images, by the
// sampler's projection hook after every update; a folder of images in one call.
#pragma once

#include <cstdint>
#include <string>

#include "engine/host/assemble.hpp"
#include "engine/host/session.hpp"
#include "engine/io/image_io.hpp"
#include "engine/io/report.hpp"

namespace scoregen::engine {

struct InpaintRequest {
  SessionRequest session;
  AssemblyRequest assembly;
  std::string image;  // a file (.png/.jpg/.npy/.pt) or a folder of them
  std::string mask;   // .png (white = keep) or .npy/.pt of 0/1; empty with colorize
  bool colorize = false;
  std::string out;         // a file, or a folder when `image` is a folder
  PictureOptions picture;  // --scale, --grid
};
// [inpaint] num completions of each image.
Report inpaint(const InpaintRequest& request);

}  // namespace scoregen::engine
