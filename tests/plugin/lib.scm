; Helpers for the GIMP 2.10 end-to-end cases (Script-Fu / TinyScheme).
; The test driver (tests/test_plugin_gimp2.cpp) defines before this file:
;   model, missing-model, garbage-model, indir, outdir  (strings)
; Each case prints "CASE <name> ok" or "CASE <name> error: <message>" and
; exports PNGs
; that the C++ test checks pixel by pixel.

(define (in-file name) (string-append indir "/" name))
(define (out-file name) (string-append outdir "/" name))
(define (say . parts) (gimp-message (apply string-append parts)))

(define (open-image name)
  (car (gimp-file-load RUN-NONINTERACTIVE (in-file name) name)))

(define (active img) (car (gimp-image-get-active-drawable img)))

; PNG at the image's precision, colours of transparent pixels kept.
(define (save img drawable name)
  (file-png-save2 RUN-NONINTERACTIVE img drawable (out-file name) name
                  0 9 0 0 0 0 0 0 1))

; device 1 = CPU, resolution 0 = the model's, strength 1
(define (colorize img drawable model-file output)
  (plug-in-colorize-pix2pix RUN-NONINTERACTIVE img drawable model-file
                            1 0 1.0 output))

; The message of the last Scheme error; for a failed PDB call "Procedure
; execution of <proc> failed: <message>" (EXECUTION_ERROR) or "... failed
; on invalid input arguments: <message>" (CALLING_ERROR).
(define last-error "")
(define script-fu-error-hook *error-hook*)
(set! *error-hook*
      (lambda args
        (set! last-error (if (string? (car args)) (car args) "?"))
        (apply script-fu-error-hook args)))

(define (run-case name thunk)
  (if (eq? (catch 'error (begin (thunk) 'ok)) 'ok)
      (say "CASE " name " ok")
      (say "CASE " name " error: " last-error)))
