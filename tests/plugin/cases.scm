; The GIMP 2.10 end-to-end cases, all in one GIMP run (see lib.scm).

(say "PROC exists "
     (number->string
       (car (gimp-procedural-db-proc-exists "plug-in-colorize-pix2pix"))))

(run-case "whole" (lambda ()
  (let* ((img (open-image "gray.png")) (d (active img)))
    (colorize img d model 0)
    (save img d "whole.png"))))

; Filters > Repeat: no last values stored yet, so the defaults (default
; model, auto device, strength 1, replace); the arguments are ignored
(run-case "last-values" (lambda ()
  (let* ((img (open-image "gray.png")) (d (active img)))
    (plug-in-colorize-pix2pix RUN-WITH-LAST-VALS img d "ignored.pt" 1 0 0.0 1)
    (save img d "last-values.png"))))

(run-case "rect" (lambda ()
  (let* ((img (open-image "gray.png")) (d (active img)))
    (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 40 30 60 50)
    (colorize img d model 0)
    (save img d "rect.png"))))

(run-case "feather" (lambda ()
  (let* ((img (open-image "gray.png")) (d (active img)))
    (gimp-context-set-feather TRUE)
    (gimp-context-set-feather-radius 16 16)
    (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 40 30 60 50)
    (gimp-context-set-feather FALSE)
    (colorize img d model 0)
    (save img d "feather.png"))))

(run-case "alpha" (lambda ()
  (let* ((img (open-image "alpha.png")) (d (active img)))
    (colorize img d model 0)
    (save img d "alpha-out.png"))))

(run-case "graymode" (lambda ()
  (let* ((img (open-image "graymode.png")))
    (colorize img (active img) model 0)
    (say "GRAYMODE base-type-rgb "
         (if (= (car (gimp-image-base-type img)) RGB) "yes" "no"))
    (save img (active img) "graymode-out.png"))))

(run-case "rgb16" (lambda ()
  (let* ((img (open-image "rgb16.png")) (d (active img)))
    (colorize img d model 0)
    (save img d "rgb16-out.png"))))

(run-case "float32" (lambda ()
  (let* ((img (open-image "rgb16.png")) (d (active img)))
    (gimp-image-convert-precision img PRECISION-FLOAT-GAMMA)
    (colorize img d model 0)
    (say "FLOAT32 precision-kept "
         (if (= (car (gimp-image-get-precision img)) PRECISION-FLOAT-GAMMA)
             "yes" "no"))
    (save img d "float32-out.png"))))

(run-case "new-layer" (lambda ()
  (let* ((img (open-image "gray.png")) (d (active img)))
    (colorize img d model 1)
    (let* ((layers (gimp-image-get-layers img))
           (top (vector-ref (cadr layers) 0)))
      (say "NEWLAYER count " (number->string (car layers))
           " lch " (if (= (car (gimp-layer-get-mode top)) LAYER-MODE-LCH-COLOR)
                       "yes" "no"))
      (save img d "newlayer-bottom.png")
      (save img (car (gimp-image-merge-visible-layers img CLIP-TO-IMAGE))
            "newlayer-merged.png")))))

(run-case "new-layer-rect" (lambda ()
  (let* ((img (open-image "gray.png")) (d (active img)))
    (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 40 30 60 50)
    (colorize img d model 1)
    (save img (car (gimp-image-merge-visible-layers img CLIP-TO-IMAGE))
          "newlayer-rect-merged.png"))))

(run-case "offsets" (lambda ()
  (let* ((img (car (gimp-image-new 200 150 RGB)))
         (layer (car (gimp-file-load-layer RUN-NONINTERACTIVE img
                                           (in-file "gray.png")))))
    (gimp-image-insert-layer img layer 0 0)
    (gimp-layer-set-offsets layer 30 20)
    ; image (0,0)-(80,60) = layer (0,0)-(50,40)
    (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 0 0 80 60)
    (colorize img layer model 0)
    (save img layer "offsets-out.png"))))

; the README's batch snippet (colorize-folder.scm), with the default model
; ("" = plug-ins/gimp-colorize-pix2pix/models/colorize-default.pt here)
(run-case "batch-folder" (lambda ()
  (colorize-folder (in-file "batch") (out-file "batch") "")))

(run-case "layer-group" (lambda ()
  (let* ((img (open-image "gray.png"))
         (group (car (gimp-layer-group-new img))))
    (gimp-image-insert-layer img group 0 0)
    (colorize img group model 0))))

(run-case "indexed" (lambda ()
  (let* ((img (open-image "gray.png")))
    (gimp-image-convert-indexed img CONVERT-DITHER-NONE
                                CONVERT-PALETTE-GENERATE 16 FALSE FALSE "")
    (colorize img (active img) model 0))))

; a model that loads but fails on the image: the image stays as it was
; (type, pixels, dirty flag, layers)
(define (model-pass-case name file output)
  (let* ((img (open-image file)) (d (active img)))
    (gimp-image-clean-all img)
    (run-case name (lambda () (colorize img d failing-model output)))
    (say "FAILED " name
         " gray " (if (= (car (gimp-image-base-type img)) GRAY) "yes" "no")
         " dirty " (number->string (car (gimp-image-is-dirty img)))
         " layers " (number->string (car (gimp-image-get-layers img))))
    (save img d (string-append name "-out.png"))))
(model-pass-case "model-pass-gray" "graymode.png" 0)
(model-pass-case "model-pass-rgb" "gray.png" 0)
(model-pass-case "model-pass-new-layer" "graymode.png" 1)

(let* ((img (open-image "gray.png")) (d (active img)))
  (run-case "missing-model" (lambda () (colorize img d missing-model 0)))
  (run-case "garbage-model" (lambda () (colorize img d garbage-model 0)))
  (save img d "bad-model-out.png"))

; colour hints: red dots on a transparent layer "Colour hints", given to a
; hint model whose colours are its hint channels (gray without hints)
(define (hints-layer img type)
  (let* ((layer (car (gimp-layer-new img (car (gimp-image-width img))
                                     (car (gimp-image-height img)) type
                                     "Colour hints" 100 LAYER-MODE-NORMAL))))
    (gimp-image-insert-layer img layer 0 -1)
    (gimp-context-set-foreground '(255 0 0))
    (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 40 30 24 24)
    (gimp-edit-fill layer FILL-FOREGROUND)
    (gimp-selection-none img)
    layer))
(define (colorize-hints img drawable model-file hints)
  (plug-in-colorize-pix2pix-hints RUN-NONINTERACTIVE img drawable model-file
                                  1 0 1.0 0 hints))

(run-case "hints" (lambda ()
  (let* ((img (open-image "gray.png")) (d (active img))
         (hints (hints-layer img RGBA-IMAGE)))
    (colorize-hints img d hint-model hints)
    (save img d "hints-out.png"))))
(run-case "hints-none" (lambda ()
  (let* ((img (open-image "gray.png")) (d (active img)))
    (colorize-hints img d hint-model -1)
    (save img d "hints-none-out.png"))))
(run-case "hints-plain-model" (lambda ()
  (let* ((img (open-image "gray.png")) (d (active img)))
    (colorize-hints img d model (hints-layer img RGBA-IMAGE)))))
(run-case "hints-no-alpha" (lambda ()
  (let* ((img (open-image "gray.png")) (d (active img)))
    (colorize-hints img d hint-model (hints-layer img RGB-IMAGE)))))
(run-case "hints-self" (lambda ()
  (let* ((img (open-image "gray.png")) (d (active img)))
    (colorize-hints img d hint-model d))))
