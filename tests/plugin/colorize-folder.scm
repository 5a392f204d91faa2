; Colorizes every *.jpg and *.png in a folder with plug-in-colorize-pix2pix
; (GIMP 2.10 Script-Fu) and writes the results, same names and formats,
; into another folder. model-file "" = the installed default model.
;   (colorize-folder "/photos/gray" "/photos/colour" "")
(define (colorize-folder in-dir out-dir model-file)
  (for-each
    (lambda (file)
      (let* ((img (car (gimp-file-load RUN-NONINTERACTIVE file file)))
             (layer (car (gimp-image-get-active-layer img)))
             (name (car (reverse (strbreakup file "/"))))
             (out (string-append out-dir "/" name)))
        ; device 0 = auto, resolution 0 = the model's, strength 1, replace
        (plug-in-colorize-pix2pix RUN-NONINTERACTIVE img layer model-file
                                  0 0 1.0 0)
        (gimp-file-save RUN-NONINTERACTIVE img layer out out)
        (gimp-image-delete img)))
    (append (cadr (file-glob (string-append in-dir "/*.jpg") 1))
            (cadr (file-glob (string-append in-dir "/*.png") 1)))))
