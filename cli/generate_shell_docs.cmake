# Runs the built binary to write its bash and zsh completions and its manual page under OUT (cmake -P).
cmake_minimum_required(VERSION 3.18)
foreach(item "completion;bash;bash-completion/completions/scoregen" "completion;zsh;zsh/site-functions/_scoregen"
             "man;;man/man1/scoregen.1")
  list(GET item 0 command)
  list(GET item 1 argument)
  list(GET item 2 file)
  get_filename_component(folder ${OUT}/${file} DIRECTORY)
  file(MAKE_DIRECTORY ${folder})
  execute_process(COMMAND ${SCOREGEN} ${command} ${argument} OUTPUT_FILE ${OUT}/${file} RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "scoregen ${command} ${argument} failed (${status})")
  endif()
endforeach()
