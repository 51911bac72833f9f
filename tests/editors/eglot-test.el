;;; eglot-test.el --- Emacs eglot (1.9) against the real server, headless  -*- lexical-binding: t -*-
;; The configuration of docs/editors.md ("Emacs"), run by run.sh: emacs --batch -q -l tests/editors/eglot-test.el.
;; Prints PASS/FAIL lines; exits 1 on a failure.
(require 'eglot)

(defvar agnews-failures 0)
(defun agnews-report (ok what &optional detail)
  (princ (format "%s eglot: %s%s\n" (if ok "PASS" "FAIL") what (if detail (format " (%s)" detail) "")))
  (unless ok (setq agnews-failures (1+ agnews-failures))))

(defun agnews-first-line (s) (car (split-string (or s "") "\n")))

(let* ((dll (getenv "AGNEWS_SERVER_DLL"))
       (dir (file-name-as-directory (getenv "AGNEWS_EDITORS_WORK")))
       (first-timeout (/ (string-to-number (or (getenv "AGNEWS_EDITORS_TIMEOUT_MS") "90000")) 1000))
       (file (expand-file-name "news.txt" dir))
       (server nil))
  (with-temp-file file
    (insert "The striker scored twice as the home side won the cup final in front of a record crowd.\n"))
  ;; --- as in docs/editors.md ---
  (add-to-list 'eglot-server-programs
               `(text-mode . ("dotnet" ,dll "serve" "--stdio" "--data-folder" ,(directory-file-name dir)
                              :initializationOptions (:hoverUnit "paragraph"))))
  (setq-default eglot-workspace-configuration '((:agnews . (:maxInlineLabels 200))))
  ;; docs/editors.md, "Labelling from Emacs": the new-class action carries no label; ask for one first.
  (cl-defmethod eglot-execute-command :around (server (command (eql 'agnews/correct)) arguments)
    "agnews's new-class action carries no label: ask for the class's name first."
    (let ((params (and (vectorp arguments) (> (length arguments) 0) (aref arguments 0))))
      (if (and params (not (plist-get params :label)))
          (cl-call-next-method server command
                               (vector (plist-put (copy-sequence params) :label (read-string "New class: "))))
        (cl-call-next-method))))
  (defun agnews-suggest ()
    "The paragraphs of the open documents the labeler is least sure of, in a grep-mode buffer (RET visits one)."
    (interactive)
    (let ((suggestions (plist-get (jsonrpc-request (eglot-current-server) :agnews/suggest '(:max 20)) :suggestions)))
      (with-current-buffer (get-buffer-create "*agnews suggestions*")
        (let ((inhibit-read-only t))
          (erase-buffer)
          (seq-doseq (s suggestions)
            (let ((prediction (plist-get s :prediction)))
              (insert (format "%s:%d: %s (margin %.2f)\n" (eglot--uri-to-path (plist-get s :uri))
                              (1+ (plist-get (plist-get (plist-get s :range) :start) :line))
                              (plist-get prediction :label) (plist-get s :margin)))))
          (grep-mode))
        (display-buffer (current-buffer)))))
  ;; ---
  (setq eglot-sync-connect t eglot-connect-timeout 60)
  (find-file file)
  (text-mode)
  (condition-case err
      (progn
        (setq server (apply #'eglot (eglot--guess-contact)))
        (agnews-report (and server (jsonrpc-running-p server)) "initialize"))
    (error (agnews-report nil "initialize" (error-message-string err))))
  (when server
    (with-current-buffer (find-buffer-visiting file)
      ;; hover: eglot without markdown-mode asks for plaintext and must get it, without Markdown syntax
      (goto-char (point-min))
      (let* ((hover (jsonrpc-request server :textDocument/hover (eglot--TextDocumentPositionParams) :timeout first-timeout))
             (contents (plist-get hover :contents))
             (value (plist-get contents :value)))
        (agnews-report (and (equal (plist-get contents :kind) "plaintext") value (not (string-match-p "[*`]" value)))
                       "hover (plaintext)" (agnews-first-line value)))
      ;; an incremental edit, then a hover on the new paragraph
      (goto-char (point-max))
      (insert "\nShares of the bank fell after profits missed forecasts and the dollar slipped.\n")
      (eglot--signal-textDocument/didChange)
      (goto-char (point-min))
      (forward-line 2)
      (let* ((hover (jsonrpc-request server :textDocument/hover (eglot--TextDocumentPositionParams) :timeout 30))
             (line (plist-get (plist-get (plist-get hover :range) :start) :line)))
        (agnews-report (equal line 2) "incremental edit, hover on the new paragraph"
                       (agnews-first-line (plist-get (plist-get hover :contents) :value))))
      ;; custom requests with params [] and a command with arguments [{}]
      (let ((status (jsonrpc-request server :agnews/status [] :timeout 30)))
        (agnews-report (stringp (plist-get status :modelName)) "agnews/status with params []" (plist-get status :modelName)))
      (let ((status (jsonrpc-request server :workspace/executeCommand
                                     (list :command "agnews/status" :arguments (vector (make-hash-table))) :timeout 30)))
        (agnews-report (stringp (plist-get status :modelName)) "executeCommand agnews/status with arguments [{}]"))
      ;; teaching through the server's code actions (M-x eglot-code-actions), the menu and the prompt answered as a
      ;; user would: the head's guess on the first paragraph, a new class on the second, then undo
      (let* ((dataset (expand-file-name ".agnews/labels.jsonl" dir))
             (labels (lambda ()
                       (when (file-exists-p dataset)
                         (with-temp-buffer
                           (insert-file-contents dataset)
                           (mapcar (lambda (line) (plist-get (json-parse-string line :object-type 'plist) :label))
                                   (split-string (buffer-string) "\n" t))))))
             (asked nil)
             (act (lambda (line title)
                    (goto-char (point-min))
                    (forward-line line)
                    (cl-letf (((symbol-function 'completing-read)
                               (lambda (_prompt items &rest _)
                                 (car (cl-find-if (lambda (item) (string-prefix-p title (car item))) items))))
                              ((symbol-function 'read-string)
                               (lambda (prompt &rest _) (setq asked prompt) "Markets")))
                      (let ((last-nonmenu-event 13)) ; a key, not a mouse click: the menu is read, not popped up
                        (eglot-code-actions (point) nil nil t)))))
             (hover-line (lambda (line)
                           (goto-char (point-min))
                           (forward-line line)
                           (agnews-first-line
                            (plist-get (plist-get (jsonrpc-request server :textDocument/hover
                                                                   (eglot--TextDocumentPositionParams) :timeout 30)
                                                  :contents)
                                       :value)))))
        (funcall act 0 "Label as ")
        (agnews-report (equal (funcall labels) '("Sports")) "code action Label as (the guess) writes the corrections file"
                       (format "%S" (funcall labels)))
        (funcall act 2 "Label as a new class")
        (agnews-report (and (equal asked "New class: ") (equal (funcall labels) '("Sports" "Markets")))
                       "the new-class action asks for the name" (format "%S" (funcall labels)))
        (let ((line (funcall hover-line 2)))
          (agnews-report (equal line "Markets · labelled by you") "hover says labelled by you" line))
        (funcall act 2 "Undo the last label")
        (agnews-report (equal (funcall labels) '("Sports")) "code action Undo the last label" (format "%S" (funcall labels)))
        (agnews-suggest)
        (let ((lines (with-current-buffer "*agnews suggestions*" (split-string (buffer-string) "\n" t))))
          (agnews-report (and (= (length lines) 1) (string-match-p "news\\.txt:3: [^ ]+ (margin 0\\.[0-9][0-9])" (car lines)))
                         "agnews-suggest lists the paragraph not labelled" (car lines))))
      ;; shutdown and exit; eglot 1.9 (jsonrpc-shutdown) deletes the process right after 'exit', so this only checks
      ;; that the shutdown is answered and the process is gone (run.sh then checks that none is left)
      (let ((process (jsonrpc--process server))
            (started (float-time)))
        (eglot-shutdown server)
        (while (and (process-live-p process) (< (- (float-time) started) 5))
          (accept-process-output nil 0.01))
        (agnews-report (not (process-live-p process)) "shutdown answered, server gone"
                       (format "%.0f ms" (* 1000 (- (float-time) started))))))))
(kill-emacs (if (= agnews-failures 0) 0 1))
