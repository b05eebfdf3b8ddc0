# Embeds the mail templates (templates/*.txt, *.html) in the notifications
# library as raw string literals, so the binary needs no template files; a
# templates_dir at run time can still override any of them.
#
#   emporium_embed_mail_templates(TARGET emporium_notifications DIR .../templates)
#
# generates mail_templates.cpp defining emporium::notifications::embeddedTemplates().
# This file is also the generator: the build runs it with `cmake -P`.

function(emporium_embed_mail_templates)
  cmake_parse_arguments(ARG "" "TARGET;DIR" "" ${ARGN})
  file(GLOB template_files CONFIGURE_DEPENDS "${ARG_DIR}/*.txt" "${ARG_DIR}/*.html")
  set(output "${CMAKE_CURRENT_BINARY_DIR}/mail_templates.cpp")
  set(script "${CMAKE_CURRENT_FUNCTION_LIST_FILE}")
  add_custom_command(
    OUTPUT "${output}"
    COMMAND "${CMAKE_COMMAND}" "-DDIR=${ARG_DIR}" "-DOUTPUT=${output}" -P "${script}"
    DEPENDS ${template_files} "${script}"
    COMMENT "Embedding mail templates"
    VERBATIM)
  target_sources(${ARG_TARGET} PRIVATE "${output}")
endfunction()

if(CMAKE_SCRIPT_MODE_FILE STREQUAL CMAKE_CURRENT_LIST_FILE)
  file(GLOB files RELATIVE "${DIR}" "${DIR}/*.txt" "${DIR}/*.html")
  list(SORT files)
  set(entries "")
  foreach(file IN LISTS files)
    file(READ "${DIR}/${file}" text)
    string(FIND "${text}" ")emporium_tpl\"" clash)
    if(NOT clash EQUAL -1)
      message(FATAL_ERROR "${DIR}/${file} contains the raw-string delimiter )emporium_tpl\"")
    endif()
    string(APPEND entries "      {\"${file}\", R\"emporium_tpl(${text})emporium_tpl\"},\n")
  endforeach()
  file(WRITE "${OUTPUT}" "// Generated from ${DIR} by embed_templates.cmake. Do not edit.
#include \"services/notifications/domain/templates.hpp\"

namespace emporium::notifications {

std::span<const EmbeddedTemplate> embeddedTemplates() {
  static const EmbeddedTemplate kTemplates[] = {
${entries}  };
  return kTemplates;
}

}  // namespace emporium::notifications
")
endif()
