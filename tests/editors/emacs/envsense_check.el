;;; envsense_check.el --- drive envsense in real Emacs + eglot, batch mode  -*- lexical-binding: t -*-
;; What a user does: open a file, see the missing-import diagnostic (Flymake), list its
;; code actions, run the preferred one (the install) and watch the diagnostic go away
;; WITHOUT touching the buffer.  Writes a JSON result to $ENVSENSE_OUT.
;;
;; env: ENVSENSE_CMD   the server command as a JSON list
;;      ENVSENSE_OUT   where the JSON result goes
;; usage: emacs -Q --batch -l envsense_check.el path/to/file.py

(require 'json)
(require 'subr-x)
;; `emacs -Q' does not activate Debian's elpa-* packages: add them ourselves.
(dolist (dir (file-expand-wildcards "/usr/share/emacs/site-lisp/elpa/*"))
  (add-to-list 'load-path dir))
(require 'eglot)
(require 'python)

(defvar envsense--t0 (float-time))
(defvar envsense--result (list (cons 'emacs emacs-version)
                               (cons 'eglot (or (ignore-errors
                                                  (pkg-info-version-info 'eglot))
                                                (file-name-nondirectory
                                                 (directory-file-name
                                                  (file-name-directory
                                                   (locate-library "eglot"))))))
                               (cons 'errors nil)
                               (cons 'steps nil)))

(defun envsense--ms () (round (* 1000 (- (float-time) envsense--t0))))
(defun envsense--set (key value) (setf (alist-get key envsense--result) value))
(defun envsense--step (name)
  (envsense--set 'steps (append (alist-get 'steps envsense--result)
                                (list (cons name (envsense--ms))))))

(defun envsense--finish (ok)
  (ignore-errors
    (with-current-buffer (jsonrpc-events-buffer (eglot-current-server))
      (write-region (point-min) (point-max) (concat (getenv "ENVSENSE_OUT") ".events"))))
  (dolist (buffer (buffer-list))
    (when (string-match-p "stderr" (buffer-name buffer))
      (with-current-buffer buffer
        (write-region (point-min) (point-max) (concat (getenv "ENVSENSE_OUT") ".stderr")))))
  (envsense--set 'ok (if ok t :json-false))
  (envsense--set 'elapsed_ms (envsense--ms))
  (unless (alist-get 'errors envsense--result) (envsense--set 'errors []))
  (with-temp-file (getenv "ENVSENSE_OUT")
    (insert (json-encode envsense--result)))
  (ignore-errors (let ((server (eglot-current-server)))
                   (when server (eglot-shutdown server))))
  (kill-emacs (if ok 0 1)))

(defun envsense--fail (message)
  (envsense--set 'errors (vconcat (alist-get 'errors envsense--result) (list message)))
  (envsense--finish nil))

(defun envsense--diags (&optional code)
  "Flymake's diagnostics of this buffer from envsense (with CODE when given)."
  (cl-loop for d in (flymake-diagnostics)
           for lsp = (cdr (assoc 'eglot-lsp-diag (flymake-diagnostic-data d)))
           when (and lsp (equal (plist-get lsp :source) "envsense")
                     (or (null code) (equal (plist-get lsp :code) code)))
           collect d))

(defun envsense--describe (d)
  (let ((lsp (cdr (assoc 'eglot-lsp-diag (flymake-diagnostic-data d)))))
    (list (cons 'line (line-number-at-pos (flymake-diagnostic-beg d)))
          (cons 'column (save-excursion (goto-char (flymake-diagnostic-beg d))
                                        (current-column)))
          (cons 'type (symbol-name (flymake-diagnostic-type d)))
          (cons 'code (plist-get lsp :code))
          (cons 'text (flymake-diagnostic-text d)))))

(defun envsense--wait (predicate seconds)
  "Let Emacs read the server's messages and run timers until PREDICATE or SECONDS."
  (let ((deadline (+ (float-time) seconds)))
    (while (and (not (funcall predicate)) (< (float-time) deadline))
      (accept-process-output nil 0.05)
      ;; Batch Emacs never goes idle, so Flymake's idle timers are run by hand, as an
      ;; interactive Emacs would after `flymake-no-changes-timeout'.
      (sit-for 0.01))
    (funcall predicate)))

(condition-case err
    (let* ((command (append (json-read-from-string (getenv "ENVSENSE_CMD")) nil))
           (file (car (last command-line-args)))
           (jsonrpc-default-request-timeout 60))
      (setq eglot-server-programs `((python-mode . ,command)))
      (setq eglot-sync-connect 30)
      (find-file file)
      (python-mode)
      ;; What M-x eglot does (the project root is eglot's own guess: VCS root, else the
      ;; file's folder).
      (apply #'eglot (eglot--guess-contact))
      (envsense--set 'root (project-root (eglot--project (eglot-current-server))))
      ;; 1. the missing-import diagnostic
      (unless (envsense--wait (lambda () (envsense--diags "missing-import")) 30)
        (envsense--set 'diagnostics (vconcat (mapcar #'envsense--describe (flymake-diagnostics))))
        (error "no missing-import diagnostic"))
      (envsense--step 'diagnostic)
      (envsense--set 'diagnostics (vconcat (mapcar #'envsense--describe (envsense--diags))))
      ;; 2. its code actions, asked the way `M-x eglot-code-actions' does at the diagnostic
      (let* ((diag (car (envsense--diags "missing-import")))
             (actions (eglot-code-actions (flymake-diagnostic-beg diag)
                                          (flymake-diagnostic-end diag)))
             (chosen (cl-find-if (lambda (a) (and (eq (plist-get a :isPreferred) t)
                                                  (plist-get a :command)))
                                 actions)))
        (envsense--step 'code_actions)
        (envsense--set 'code_actions (vconcat (mapcar (lambda (a) (plist-get a :title)) actions)))
        (unless chosen (error "no preferred code action carrying a command"))
        (envsense--set 'chosen_action (plist-get chosen :title))
        ;; 3. run it the way eglot does: workspace/executeCommand with the action's Command
        (let ((command (plist-get chosen :command)))
          (envsense--set 'install_result
                         (eglot-execute-command (eglot-current-server)
                                                (plist-get command :command)
                                                (plist-get command :arguments))))
        (envsense--step 'install))
      ;; 4. the server re-checks after the install: the diagnostic goes, no edit needed
      (let ((cleared (envsense--wait (lambda () (null (envsense--diags "missing-import"))) 20)))
        (envsense--step 'cleared)
        (envsense--set 'buffer_modified (if (buffer-modified-p) t :json-false))
        ;; What eglot holds vs what Flymake shows, for the failure report.
        (envsense--set 'eglot_held (length eglot--diagnostics))
        (envsense--set 'report_fn (if eglot--current-flymake-report-fn t :json-false))
        (envsense--set 'publishes
                       (with-current-buffer (jsonrpc-events-buffer (eglot-current-server))
                         (count-matches "textDocument/publishDiagnostics" (point-min) (point-max))))
        (envsense--set 'diagnostics_after
                       (vconcat (mapcar #'envsense--describe (envsense--diags))))
        (unless cleared (error "missing-import still shown after the install"))
        (envsense--finish t)))
  (error (envsense--fail (format "%S" err))))
